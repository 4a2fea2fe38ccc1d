"""Code pinned at submit: the workflow's file and the user's own modules it imports are copied
into the run directory (code/), and every element imports them from there.

Editing or deleting the sources while jobs queue then changes nothing in the run, a resume
reruns the same code, and cache fingerprints come from the code that ran. The user's own
modules are those loaded from outside the Python installation: not from the standard library,
not from site-packages (or a virtualenv's), and not hpcflow itself. Each is copied at its path
relative to the sys.path entry it was imported from, so `import pkg.mod` finds the copy once
code/ is first on sys.path. Only Python modules, and the script files of ShellTasks, are copied: data files a task opens are not.
"""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from types import ModuleType

import hpcflow

CODE_DIR = "code"


def _installation_roots() -> tuple[str, ...]:
    """Folder prefixes (as given and resolved) of the Python installation, site-packages and hpcflow."""
    import site  # here and below: at submit only, while every element imports this module
    import sysconfig

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(), site.getusersitepackages(),
             *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")),
             os.path.dirname(hpcflow.__file__)}
    return tuple({p.rstrip(os.sep) + os.sep for r in roots if r for p in (r, os.path.realpath(r))})


def own_modules(workflow_module: ModuleType) -> dict[Path, Path]:
    """The files of the user's own loaded modules: source file -> path to copy it to (relative).
    String prefixes first: a submit has hundreds of modules loaded, nearly all of them installed."""
    installed = _installation_roots()
    workflow_file = Path(os.path.realpath(workflow_module.__file__ or ""))
    path_roots = sorted({os.path.realpath(p or os.getcwd()) for p in sys.path} | {str(workflow_file.parent)},
                        key=len, reverse=True)  # the deepest root a file is under wins
    files: dict[Path, Path] = {workflow_file: Path(workflow_file.name)}
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or not file.endswith(".py") or file.startswith(installed):
            continue
        if not os.path.isabs(file):  # a name, not a file: torch gives its op namespaces __file__ = "_ops.py"
            continue
        real = os.path.realpath(file)
        if real.startswith(installed) or Path(real) in files:
            continue
        root = next((r for r in path_roots if real.startswith(r.rstrip(os.sep) + os.sep)), None)
        if root is not None:
            files[Path(real)] = Path(os.path.relpath(real, root))
    for script in _script_files(files, sys.modules.values()):
        root = next((r for r in path_roots if script.startswith(r.rstrip(os.sep) + os.sep)), None)
        if root is not None:  # a script beside the code is code: a ShellTask's script_file
            files.setdefault(Path(script), Path(os.path.relpath(script, root)))
    return files


def _script_files(own: dict[Path, Path], modules: object) -> list[str]:
    """The script_file of each ShellTask in the user's own modules (read each time its element runs)."""
    found = []
    for module in list(modules):  # type: ignore[call-overload]
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or Path(os.path.realpath(file)) not in own:
            continue
        for value in list(vars(module).values()):
            script = getattr(value, "script_file", None) if type(value).__name__.endswith("Task") else None
            if isinstance(script, str) and os.path.isfile(script):
                found.append(os.path.realpath(script))
    return found


def pin_code(workflow_module: ModuleType, run_dir: Path) -> Path:
    """Copy the workflow's file and the user's own modules into run_dir/code; the workflow file's copy."""
    import shutil

    dest = run_dir / CODE_DIR
    for source, relative in own_modules(workflow_module).items():  # packages' __init__.py are modules too
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        _compile(target)
    return dest / Path(Path(workflow_module.__file__ or "").name)


def _compile(source: Path) -> None:
    """Write the copy's bytecode now, once: every element imports it, and where PYTHONDONTWRITEBYTECODE
    is set (or the first elements race to write it) each would compile it again. An element whose Python
    differs reads its own cache tag's file, and compiles as usual when there is none."""
    import importlib.util
    import py_compile

    if source.suffix == ".py":
        try:
            py_compile.compile(str(source), cfile=importlib.util.cache_from_source(str(source)), doraise=True)
        except (py_compile.PyCompileError, OSError):  # the import reports a syntax error where it matters
            pass


@functools.lru_cache(maxsize=1)  # once per process: a batch runs many elements under the same one
def environment_digest() -> dict[str, str]:
    """The Python, hpcflow and installed packages a run was submitted with; the packages as one
    digest of the `*.dist-info` names on sys.path (name and version: a listing, not a read of each)."""
    names: set[str] = set()
    for entry in sys.path:
        try:
            names.update(n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    # sys.version starts with what platform.python_version() gives, without importing platform
    return {"python": sys.version.split()[0], "hpcflow": hpcflow.__version__,
            "packages": _checksum("\n".join(sorted(names)))}


def _checksum(text: str) -> str:
    """A change detector, not a secret: zlib's CRC-32, where hashlib would load OpenSSL in every element."""
    import zlib

    return f"{zlib.crc32(text.encode()):08x}"


def environment_id(environment: dict[str, str]) -> str:
    """One string for an environment_digest(), as elements record it."""
    return "/".join(environment.get(k, "") for k in ("python", "hpcflow", "packages"))
