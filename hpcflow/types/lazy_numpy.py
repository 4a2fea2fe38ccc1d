"""numpy only when it is already there: if no module imported numpy, no value can be an array.

Importing numpy costs ~80 ms, paid by every CLI call and every element's process; tasks that
use arrays import it themselves, so hpcflow never needs to import it just to check types.
"""
from __future__ import annotations

import sys
from types import ModuleType


def loaded_numpy() -> ModuleType | None:
    """The numpy module if something imported it, else None."""
    return sys.modules.get("numpy")


def is_array(value: object) -> bool:
    """True for a numpy.ndarray."""
    np = loaded_numpy()
    return np is not None and isinstance(value, np.ndarray)


def is_numpy_scalar(value: object) -> bool:
    """True for numpy scalars such as numpy.float64."""
    np = loaded_numpy()
    return np is not None and isinstance(value, np.generic)


def is_array_type(tp: object) -> bool:
    """True for numpy.ndarray and numpy.typing.NDArray[...] annotations."""
    np = loaded_numpy()
    if np is None:
        return False
    import typing

    return tp is np.ndarray or typing.get_origin(tp) is np.ndarray
