"""Self-describing JSON encoding of task values; large arrays and pickles go to a BlobStore.

Records name their class (`"$dataclass": "module:Class"`). Decoding data never imports or calls
anything the reading process did not already trust: a name resolves only in a module that is
already imported (the workflow's own code, loaded before any value is read, and what it
imports) or in one of hpcflow's own modules (the package loads its modules on first use, so the
one that defines FlyteError may not be loaded yet; importing it runs hpcflow's code, nothing the data
supplies), and only to a dataclass, a NamedTuple, an Enum or a registered type. A stored value can
come from a shared cache that others write, so `"$dataclass": "os:system"` is refused, not called.

Pickles are the exception, and so they are kept apart. A value that has no data form (a plain
class's instance, a set, what a task returns under typing.Any) is pickled, as flytekit does,
into the blob store (`{"$pickle": "<sha256>.pkl"}`). Unpickling runs code that the data names,
so the rule is: a pickle is read only from what the reading user wrote: their own run
directories (a RunDir's BlobStore has unpickle=False unless the run is the reader's) and cache
entries whose file the reading user owns (cache/store.py refuses any other entry that
`holds_pickle`, even a trusted colleague's). A pickle blob is checked against its content hash
before it is loaded, so a file planted under its name is refused too.
"""
from __future__ import annotations

import dataclasses
import enum
import importlib
import sys
from typing import Any, Iterator

from hpcflow.errors import HpcflowError
from hpcflow.store.blobs import BlobStore, PickleRefusedError
from hpcflow.types.check import is_namedtuple
from hpcflow.types.custom import custom_type
from hpcflow.types.lazy_numpy import is_array, is_numpy_scalar


_PLAIN = (bool, int, float, str)
_KEYS = (bool, int, float, str, enum.Enum, tuple)  # keys of a dict that is not keyed by str, stored as data


def encode(value: Any, blobs: BlobStore) -> Any:
    """A JSON-able form of `value` that `decode` turns back into an equal value."""
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, enum.Enum):  # before str: a `class C(str, Enum)` member stays a member
        return {"$enum": _class_ref(type(value)), "value": encode(value.value, blobs)}
    if isinstance(value, _PLAIN):
        return value
    if is_array(value):
        return blobs.array_ref(value)
    if is_numpy_scalar(value):
        return value.item()
    custom = custom_type(type(value))
    if custom is not None:
        return {"$custom": _class_ref(custom.cls), "value": custom.to_json(value)}
    if is_namedtuple(type(value)):
        return {"$namedtuple": _class_ref(type(value)),
                "fields": {k: encode(v, blobs) for k, v in value._asdict().items()}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"$dataclass": _class_ref(type(value)),
                "fields": {f.name: encode(getattr(value, f.name), blobs) for f in dataclasses.fields(value)}}
    if isinstance(value, list):
        return [encode(v, blobs) for v in value]
    if isinstance(value, tuple):  # stays a tuple (a tuple[int, str] input, a key of a set...): flytekit pickles it
        return {"$tuple": [encode(v, blobs) for v in value]}
    if isinstance(value, dict) and all(type(k) is str for k in value):
        items = {k: encode(v, blobs) for k, v in value.items()}
        return {"$dict": items} if any(k.startswith("$") for k in value) else items
    if isinstance(value, dict) and all(isinstance(k, _KEYS) for k in value):  # dict[int, str], as flytekit's dataclasses hold
        return {"$items": [[encode(k, blobs), encode(v, blobs)] for k, v in value.items()]}
    return _pickle(value, blobs)


def _pickle(value: Any, blobs: BlobStore) -> dict[str, str]:
    try:
        key = blobs.put_pickle(value)
    except Exception as exc:  # pickle's own reason (a lambda, an open file) is the useful part
        raise TypeError(f"cannot store a value of type {type(value).__name__}: it has no data form and "
                        f"cannot be pickled ({exc}); return plain data or register_type it") from None
    return {"$pickle": key, "type": _class_ref(type(value))}


class DamagedValueError(HpcflowError, ValueError):
    """A stored value that is not a form `encode` writes (a damaged or hand-edited record)."""


def decode(obj: Any, blobs: BlobStore) -> Any:
    """The value that `encode` gave `obj` for; DamagedValueError for a form it never writes."""
    try:
        return _decode(obj, blobs)
    except (HpcflowError, PickleRefusedError, UntrustedValueError):  # already say what is wrong
        raise
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:  # stored data is data, and a
        raise DamagedValueError(f"a stored value is damaged ({type(exc).__name__}: "  # wrong shape is one error
                                f"{str(exc)[:100]}); rerun the task that wrote it") from None
    except RecursionError:
        raise DamagedValueError("a stored value is nested too deeply to read; rerun the task that wrote it") from None


def _decode(obj: Any, blobs: BlobStore) -> Any:
    if isinstance(obj, list):
        return [_decode(v, blobs) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "$ndarray" in obj:
        return blobs.get_ref(obj)
    if "$enum" in obj:
        return trusted_class(obj["$enum"], "$enum")(_decode(obj["value"], blobs))
    if "$pickle" in obj:
        return blobs.get_pickle(obj["$pickle"])  # only the user's own data gets here (the module's docstring)
    if "$items" in obj:
        return {_decode(k, blobs): _decode(v, blobs) for k, v in obj["$items"]}
    if "$tuple" in obj:
        return tuple(_decode(v, blobs) for v in obj["$tuple"])
    if "$custom" in obj:
        cls = trusted_class(obj["$custom"], "$custom")
        return custom_type(cls).from_json(obj["value"])  # type: ignore[union-attr]
    if "$dict" in obj:
        return {k: _decode(v, blobs) for k, v in obj["$dict"].items()}
    if "$namedtuple" in obj or "$dataclass" in obj:
        kind = "$namedtuple" if "$namedtuple" in obj else "$dataclass"
        cls = trusted_class(obj[kind], kind)
        return cls(**{k: _decode(v, blobs) for k, v in obj["fields"].items()})
    return {k: _decode(v, blobs) for k, v in obj.items()}


def encode_all(values: list[Any], blobs: BlobStore) -> list[Any]:
    """encode() of each value, in order."""
    return [encode(v, blobs) for v in values]


def decode_all(objs: list[Any], blobs: BlobStore) -> list[Any]:
    """decode() of each encoded form, in order."""
    return [decode(o, blobs) for o in objs]


def display(obj: Any, blobs: BlobStore) -> Any:
    """The plain JSON form (as to_display gives it) of an encoded value, without decoding it: no
    class is resolved, so a process that has not loaded the workflow's code (the CLI showing a
    run's outputs, say) can show them, and no stored name is ever imported to do so."""
    if isinstance(obj, list):
        return [display(v, blobs) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "$ndarray" in obj:
        return blobs.get_ref(obj).tolist()
    if "$enum" in obj:
        return obj["value"]
    if "$pickle" in obj:  # shown, never unpickled: this may be someone else's run
        return f"<pickled {obj['type'].replace(':', '.')}>"
    if "$items" in obj:
        return {str(display(k, blobs)): display(v, blobs) for k, v in obj["$items"]}
    if "$tuple" in obj:
        return [display(v, blobs) for v in obj["$tuple"]]
    if "$custom" in obj:
        return obj["value"]
    if "$dict" in obj:
        return {k: display(v, blobs) for k, v in obj["$dict"].items()}
    if "$namedtuple" in obj or "$dataclass" in obj:
        return {k: display(v, blobs) for k, v in obj["fields"].items()}
    return {k: display(v, blobs) for k, v in obj.items()}


def to_display(value: Any) -> Any:
    """A plain JSON form for people and scripts: arrays as lists, records as objects, Enums as values."""
    if isinstance(value, enum.Enum):
        return to_display(value.value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if is_array(value) or is_numpy_scalar(value):
        return value.tolist()
    if is_namedtuple(type(value)):
        return {k: to_display(v) for k, v in value._asdict().items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_display(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_display(v) for v in value]
    if isinstance(value, dict):
        return {str(to_display(k)): to_display(v) for k, v in value.items()}
    return f"<pickled {type(value).__module__}.{type(value).__qualname__}>"  # what has no data form, as display() shows it


def _class_ref(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


class UntrustedValueError(TypeError):
    """A stored value names a class that this process does not trust (see the module's docstring)."""


_KINDS = {"$dataclass": ("a dataclass", lambda c: dataclasses.is_dataclass(c)),
          "$namedtuple": ("a NamedTuple", lambda c: is_namedtuple(c)),
          "$enum": ("an Enum", lambda c: issubclass(c, enum.Enum)),
          "$custom": ("a registered type", lambda c: custom_type(c) is not None)}


def trusted_class(ref: str, kind: str) -> type:
    """The class that `ref` ("module:Qual.Name") names, if its module is already imported and it
    is of `kind`; UntrustedValueError otherwise. Imports nothing, calls nothing."""
    module_name, _, qualname = ref.partition(":")
    what, fits = _KINDS[kind]
    obj: Any = sys.modules.get(module_name) or _own_module(module_name)
    if obj is None:
        raise UntrustedValueError(f"a stored value names {ref}, whose module is not loaded here; "
                                  "it is not imported to read it")
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if not isinstance(obj, type) or not fits(obj):
        raise UntrustedValueError(f"a stored value names {ref} as {what}, which it is not; it is not used")
    return obj


def _own_module(name: str) -> Any:
    """One of hpcflow's own modules, imported if it is not yet; None for any other name."""
    parts = name.split(".")
    if parts[0] != "hpcflow" or not all(part.isidentifier() for part in parts):
        return None
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - no such module: the value is refused, as any unknown name is
        return None


def class_refs(obj: Any) -> Iterator[tuple[str, str]]:
    """(kind, "module:Class") of every record in an encoded value, without decoding it."""
    if isinstance(obj, list):
        for item in obj:
            yield from class_refs(item)
    elif isinstance(obj, dict):
        for kind in _KINDS:
            if kind in obj:
                yield kind, obj[kind]
        for key, item in obj.items():
            if key not in _KINDS:
                yield from class_refs(item)


def untrusted(obj: Any) -> str:
    """Why an encoded value could not be decoded here ('' when every class it names is trusted)."""
    for kind, ref in class_refs(obj):
        try:
            trusted_class(ref, kind)
        except UntrustedValueError as exc:
            return str(exc)
    return ""


def holds_pickle(obj: Any) -> bool:
    """True when an encoded value holds a pickle anywhere (reading it would run code it names)."""
    if isinstance(obj, list):
        return any(holds_pickle(item) for item in obj)
    if isinstance(obj, dict):
        return "$pickle" in obj or any(holds_pickle(item) for item in obj.values())
    return False
