"""flytekit's exception classes, for code that raises or catches them: `from flytekit.exceptions.user
import FlyteAssertion` becomes `from hpcflow.exceptions.user import FlyteAssertion`. Each is also
an hpcflow error (HpcflowError; the recoverable ones RecoverableError), so either `except` works."""
from hpcflow.exceptions.base import FlyteException, FlyteRecoverableException

__all__ = ["FlyteException", "FlyteRecoverableException"]
