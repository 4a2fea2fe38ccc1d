"""`from flytekit.types.directory.types import FlyteDirectory` becomes `from hpcflow.types.directory.types import FlyteDirectory`."""
from hpcflow.types.files import Directory

FlyteDirectory = Directory

__all__ = ["FlyteDirectory"]
