"""Flyte 2's `flyte.io`: File and Dir, references to files and folders on the shared filesystem."""
from hpcflow.io.refs import Dir, File

Directory = Dir

__all__ = ["File", "Dir", "Directory"]
