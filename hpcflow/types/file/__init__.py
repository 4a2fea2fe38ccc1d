"""`from flytekit.types.file import FlyteFile` becomes `from hpcflow.types.file import FlyteFile`."""
from hpcflow.types.files import File

FlyteFile = File

__all__ = ["FlyteFile"]
