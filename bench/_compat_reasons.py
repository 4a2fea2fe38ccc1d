"""How bench/compat.py's two parts name a failure's cause: the same words for the same gap."""
from __future__ import annotations

import re


def trim(reason: str) -> str:
    """Leave out the file paths that ImportError appends: the name says enough."""
    return re.sub(r" \(/[^)]*\)", "", reason)


def import_gap(reason: str) -> str | None:
    """The name or module an import (or a module attribute) did not find, else None."""
    if m := re.search(r"No module named '([\w.]+)'", reason):
        return f"no module {m.group(1)}"
    if m := re.search(r"cannot import name '(\w+)' from '([\w.]+)'", reason):
        return f"{m.group(2)} has no {m.group(1)}"
    if m := re.search(r"module '([\w.]+)' has no attribute '(\w+)'", reason):
        return f"{m.group(1)} has no {m.group(2)}"
    return None
