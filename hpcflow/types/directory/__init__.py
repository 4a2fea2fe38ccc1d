"""`from flytekit.types.directory import FlyteDirectory` becomes `from hpcflow.types.directory import FlyteDirectory`."""
from hpcflow.types.files import Directory

FlyteDirectory = Directory

__all__ = ["FlyteDirectory"]
