"""Files and folders given to a run as inputs, checked before the run directory is made: a missing file, a
device or FIFO given as a File, or a File that is a folder fails at once with one line, and leaves no run
behind that would sit PENDING for ever."""
from __future__ import annotations

import os
import stat
from typing import Any, Iterator

from hpcflow.core.bindings import Const, DictOf, ListOf
from hpcflow.core.plan import Plan
from hpcflow.errors import InputError
from hpcflow.types.files import Directory, File


def check_input_paths(plan: Plan) -> None:
    """InputError for the first File or Directory input of the plan that is not what it says it is."""
    for job in plan.jobs:
        for name, binding in job.inputs:
            for value in _values(binding):
                for item in _files(value):
                    _check(item, f"task '{job.name}', input '{name}'")


def _values(binding: Any) -> Iterator[Any]:
    if isinstance(binding, Const):
        yield binding.value
    elif isinstance(binding, ListOf):
        for item in binding.items:
            yield from _values(item)
    elif isinstance(binding, DictOf):
        for _, item in binding.items:
            yield from _values(item)


def _files(value: Any, depth: int = 0) -> Iterator[File | Directory]:
    if depth > 50:  # values are checked for depth where they are given; this only bounds the walk
        return
    if isinstance(value, (File, Directory)):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _files(item, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _files(item, depth + 1)


def _check(item: File | Directory, where: str) -> None:
    path = item.path
    if "://" in path:
        return  # fetched (or checked) where it is used
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{where}: {path}: no such {'file' if isinstance(item, File) else 'folder'}; give the path "
                         "of an existing one") from None
    except OSError as exc:
        raise InputError(f"{where}: {path}: {exc.strerror}; give a path you can read") from None
    if isinstance(item, File) and stat.S_ISDIR(mode):
        raise InputError(f"{where}: {path} is a folder, not a file; give a file, or declare the input a Directory")
    if isinstance(item, File) and not stat.S_ISREG(mode):
        raise InputError(f"{where}: {path} is not a regular file (a device, FIFO or socket); inputs are hashed by "
                         "content, so give a regular file")
    if isinstance(item, Directory) and not stat.S_ISDIR(mode):
        raise InputError(f"{where}: {path} is not a folder; give a folder, or declare the input a File")
