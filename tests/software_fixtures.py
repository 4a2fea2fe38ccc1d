"""Module files and venvs that the Environment tests make (tests/test_software_env.py, tests/slurm/)."""
from __future__ import annotations

import site
import subprocess
import sys
from pathlib import Path


def make_module(root: Path) -> Path:
    """A module file hftool/1.0 that puts a tool `hftool` on PATH; the folder to name in MODULEPATH."""
    tools, mods = root / "tools", root / "modules" / "hftool"
    tools.mkdir(parents=True)
    mods.mkdir(parents=True)
    (tools / "hftool").write_text('#!/bin/sh\necho "hftool says $1"\n')
    (tools / "hftool").chmod(0o755)
    (mods / "1.0").write_text(f"#%Module1.0\nprepend-path PATH {tools}\n")
    return root / "modules"


def make_venv(root: Path, with_hpcflow: bool) -> Path:
    """A venv of its own; with_hpcflow: it also sees the packages of the Python running the tests."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    if with_hpcflow:
        (packages,) = root.glob("lib/python3*/site-packages")
        (packages / "tests-host.pth").write_text(f"import site; site.addsitedir({site.getsitepackages()[0]!r})\n")
    return root
