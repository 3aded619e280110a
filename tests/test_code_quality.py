"""Ruff and the import-linter contracts run as part of the suite."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*args):
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT, capture_output=True, text=True)


def test_ruff_lint_is_clean():
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = _run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependencies_point_one_way():
    result = _run("lint-imports")
    assert result.returncode == 0, result.stdout + result.stderr


def _public_modules_contract(**options):
    from scripts.importcontracts import PublicModulesContract

    return PublicModulesContract(
        name="public modules",
        session_options={"root_packages": ["lms"]},
        contract_options={
            "domains": ["lms.quizzes", "lms.courses"],
            "also_public": ["lms.courses.signals"],
            "composition_roots": ["lms.app"],
            **options,
        },
    )


def _graph(*imports: tuple[str, str]):
    import grimp

    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(
            importer=importer, imported=imported, line_number=3, line_contents=f"import {imported}"
        )
    return graph


def test_the_public_modules_contract_catches_an_import_of_a_private_module():
    graph = _graph(
        ("lms.courses.views", "lms.quizzes.attempts"),  # private: refused
        ("lms.courses.views", "lms.quizzes.services"),
        ("lms.courses.views", "lms.quizzes.models"),
        ("lms.courses.views", "lms.quizzes"),
        ("lms.quizzes.services", "lms.quizzes.attempts"),  # inside its own domain
        ("lms.quizzes.services", "lms.courses.signals"),  # listed as public
        ("lms.app", "lms.courses.outline"),  # the composition root wires anything
        ("lms.courses.views", "lms.core.db"),  # not a domain
    )
    check = _public_modules_contract().check(graph, verbose=False)
    assert not check.kept
    assert check.metadata["illegal_imports"] == [
        {"importer": "lms.courses.views", "imported": "lms.quizzes.attempts", "line_numbers": [3]}
    ]


def test_a_listed_exception_needs_a_reason_and_must_still_match_an_import():
    from importlinter.domain.contract import InvalidContractOptions

    graph = _graph(("lms.courses.views", "lms.quizzes.attempts"))
    allowed = "lms.courses.views -> lms.quizzes.attempts: the lesson page shows the attempt"
    assert _public_modules_contract(exceptions=[allowed]).check(graph, verbose=False).kept
    with pytest.raises(InvalidContractOptions):
        _public_modules_contract(exceptions=["lms.courses.views -> lms.quizzes.attempts"])
    stale = _public_modules_contract(exceptions=[allowed]).check(_graph(), verbose=False)
    assert not stale.kept and stale.metadata["stale_exceptions"] == [
        "lms.courses.views -> lms.quizzes.attempts"
    ]


def test_lint_imports_runs_the_public_modules_contract():
    result = _run("lint-imports", "--verbose")
    assert "Other domains import only a domain's public modules" in result.stdout, (
        result.stdout + result.stderr
    )
