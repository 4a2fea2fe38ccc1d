"""Compare text with a recorded copy in tests/golden/.

A missing or different copy fails; HPCFLOW_UPDATE_GOLDEN=1 (re)writes it, to review with git diff.
"""
from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("HPCFLOW_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"no recorded copy {path}; write it with HPCFLOW_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(), f"{name} differs from the recorded copy; review and rerun with HPCFLOW_UPDATE_GOLDEN=1"
