"""flytekit.exceptions.system's classes: errors of the platform rather than of user code."""
from hpcflow.errors import RecoverableError
from hpcflow.exceptions.base import FlyteException


class FlyteSystemException(FlyteException, RecoverableError):
    """A failure of the system, worth retrying."""


class FlyteSystemUnavailableException(FlyteSystemException):
    """A service is not available for now."""


class FlyteNotImplementedException(FlyteSystemException, NotImplementedError):
    """Something not implemented."""


class FlyteEntrypointNotLoadable(FlyteSystemException):
    """A task's code cannot be loaded."""


class FlyteSystemAssertion(FlyteSystemException, AssertionError):
    """A condition of the system is not met."""


class FlyteDownloadDataException(FlyteSystemException):
    """Data could not be fetched."""


class FlyteUploadDataException(FlyteSystemException):
    """Data could not be stored."""


class FlyteNonRecoverableSystemException(FlyteException):
    """A failure of the system not worth retrying."""
