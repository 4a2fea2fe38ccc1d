"""flytekit.exceptions.user's classes: errors in user code or in how it uses the SDK."""
from hpcflow.errors import InputError, RecoverableError, TypeMismatchError, WorkflowDefinitionError
from hpcflow.exceptions.base import FlyteException


class FlyteUserException(FlyteException):
    """An error of the user's code."""


class FlyteUserRuntimeException(FlyteException):
    """An exception raised by the user's task code."""


class FlyteTypeException(FlyteUserException, TypeMismatchError, TypeError):
    """A value of the wrong type."""


class FlyteValueException(FlyteUserException, ValueError):
    """A value that is not allowed."""


class FlyteDataNotFoundException(FlyteValueException):
    """Data that should exist does not."""


class FlyteEntityNotFoundException(FlyteValueException):
    """A task, workflow or launch plan that should exist does not."""


class FlyteAssertion(FlyteUserException, AssertionError):
    """A condition of the SDK's use is not met."""


class FlyteValidationException(FlyteAssertion, WorkflowDefinitionError):
    """A task or workflow is declared in a way that is not valid."""


class FlyteFailureNodeInputMismatchException(FlyteAssertion):
    """A failure node's inputs do not match its workflow's."""


class FlyteDisapprovalException(FlyteAssertion):
    """An approval gate was rejected."""


class FlyteEntityAlreadyExistsException(FlyteAssertion):
    """An entity of that name exists already."""


class FlyteEntityNotExistException(FlyteAssertion):
    """An entity of that name does not exist."""


class FlyteTimeout(FlyteAssertion):
    """Something took longer than allowed."""


class FlyteRecoverableException(FlyteUserException, RecoverableError):
    """A user error worth retrying: a task with retries runs again."""


class FlyteAuthenticationException(FlyteAssertion):
    """Credentials were refused."""


class FlyteInvalidInputException(FlyteUserException, InputError):
    """Inputs that do not match an entity's interface."""


class FlytePromiseAttributeResolveException(FlyteAssertion):
    """An attribute of a promise cannot be resolved."""


class FlyteCompilationException(FlyteUserException, WorkflowDefinitionError):
    """A workflow cannot be compiled."""


class FlyteMissingTypeException(FlyteCompilationException):
    """An input or output has no type annotation."""


class FlyteMissingReturnValueException(FlyteCompilationException):
    """A workflow or task returns nothing where outputs are declared."""


class UndeclaredOutputsError(FlyteValueException, WorkflowDefinitionError):
    """A workflow returns a value but declares no outputs (flytekit raises FlyteValueException)."""


class PromiseBindingError(FlyteAssertion, TypeMismatchError):
    """A node's outputs, a call without outputs or a container of promises bound where one value is
    expected (flytekit raises FlyteAssertion, an AssertionError; this is a TypeMismatchError too)."""
