"""The test suite's own layout: builders in ``tests/helpers.py``, fixtures in ``conftest.py``.

A test module that imports another (``from tests.test_x import ...``) drags that module's tests,
fixtures and module-scoped state along and breaks when it is moved or renamed; shared code lives
in ``tests/helpers.py`` instead. The check reads the sources with :mod:`ast`, so it holds for
imports inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_test_modules(source: str) -> set[str]:
    """The ``tests.test_*`` modules (or names from them) that ``source`` imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if n.startswith("tests.test_") or n.startswith("test_")
                     or (n.startswith("tests.") and n.split(".")[1].startswith("test_")))
    return found


def test_the_detector_finds_a_test_module_import():
    assert imported_test_modules("from tests.test_api import OLD\n") >= {"tests.test_api"}
    assert imported_test_modules("def f():\n    import tests.test_browser\n") == {"tests.test_browser"}
    assert imported_test_modules("from tests import test_jobs\n") == {"tests.test_jobs"}
    assert imported_test_modules("from tests.helpers import run_cli\nimport conftest\n") == set()


def test_no_test_module_imports_another():
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        imported = imported_test_modules(path.read_text(encoding="utf-8"))
        if imported:
            offenders[str(path.relative_to(TESTS.parent))] = sorted(imported)
    assert offenders == {}, f"move what these share into tests/helpers.py or conftest.py: {offenders}"
