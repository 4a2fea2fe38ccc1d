"""`from flytekit.types.file.file import FlyteFile` becomes `from hpcflow.types.file.file import FlyteFile`."""
from hpcflow.types.files import File

FlyteFile = File

__all__ = ["FlyteFile"]
