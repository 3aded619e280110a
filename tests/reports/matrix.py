"""Access-matrix entries for the reports routes (merged into tests/test_access_matrix.py)."""

from tests.matrix_support import Case

MATRIX: dict[tuple[str, str], list[Case]] = {}
