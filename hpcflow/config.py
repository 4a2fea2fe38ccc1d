"""Where hpcflow keeps its files when no site config says otherwise."""
from __future__ import annotations

import os
from pathlib import Path


def hpcflow_home() -> Path:
    """$HPCFLOW_HOME, else ~/.hpcflow."""
    return Path(os.environ.get("HPCFLOW_HOME", "~/.hpcflow")).expanduser()


def default_runs_dir() -> Path:
    """$HPCFLOW_RUNS_DIR, else $HPCFLOW_HOME/runs."""
    env = os.environ.get("HPCFLOW_RUNS_DIR")
    return Path(env).expanduser() if env else hpcflow_home() / "runs"


def default_cache_dir() -> Path:
    """$HPCFLOW_CACHE_DIR, else $HPCFLOW_HOME/cache."""
    env = os.environ.get("HPCFLOW_CACHE_DIR")
    return Path(env).expanduser() if env else hpcflow_home() / "cache"
