"""The layering of DESIGN.md holds: import-linter's contracts (pyproject.toml) pass, and they
would catch an upward import; no module takes a private name from another package."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import hpcflow
from paths import ROOT

PACKAGE = Path(hpcflow.__file__).resolve().parent
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
        "--config", str(ROOT / "pyproject.toml")]


def _lint(pythonpath: Path | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(LINT + ["--no-cache"], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_import_contracts_are_kept():
    res = _lint()
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 kept, 0 broken" in res.stdout


def test_an_upward_import_breaks_the_layers(tmp_path: Path):
    copy = tmp_path / "hpcflow"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    graph = copy / "core" / "graph.py"
    graph.write_text(graph.read_text() + "\n\ndef _upward():\n    from hpcflow.backends.slurm import submit  # noqa\n")
    res = _lint(pythonpath=tmp_path, cwd=tmp_path)
    assert res.returncode != 0 and "BROKEN" in res.stdout, res.stdout + res.stderr
    assert "hpcflow.core.graph -> hpcflow.backends.slurm.submit" in res.stdout


def _package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_private_name_crosses_a_package():
    crossings = []
    for path in PACKAGE.rglob("*.py"):
        module = "hpcflow." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hpcflow"):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if private and _package_of(node.module) != _package_of(module):
                    crossings.append(f"{module} takes {private} from {node.module}")
    assert not crossings, crossings
