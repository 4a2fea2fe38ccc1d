"""`from flytekit.types.error import FlyteError` becomes `from hpcflow.types.error import FlyteError`."""
from hpcflow.types.error.error import FlyteError

__all__ = ["FlyteError"]
