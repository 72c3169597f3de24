"""The import rules of ARCHITECTURE.md, enforced with import-linter's contracts."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(*args):
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    return subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_import_contracts_hold():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken" in result.stdout
    for name in ("Only the CLI imports the click commands", "Workflows are framework-free",
                 "SQL lives in geo.store"):
        assert name in result.stdout, f"contract {name!r} is not checked"


def test_a_forbidden_import_is_caught(tmp_path):
    # A copy of the config with one more contract that the code breaks on purpose
    # (geo.store imports sqlalchemy) shows the checker does fail.
    config = (ROOT / "pyproject.toml").read_text()
    config += '\n[[tool.importlinter.contracts]]\nname = "probe"\ntype = "forbidden"\n' \
              'source_modules = ["geo.store"]\nforbidden_modules = ["sqlalchemy"]\n'
    probe = tmp_path / "probe.toml"
    probe.write_text(config)
    result = lint_imports("--config", str(probe))
    assert result.returncode != 0 and "probe BROKEN" in result.stdout
