"""Access-matrix entries for the authoring routes (merged into tests/test_access_matrix.py)."""

from tests.matrix_support import Case

MATRIX: dict[tuple[str, str], list[Case]] = {}
