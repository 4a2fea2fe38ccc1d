"""Self-describing JSON encoding of task values; large arrays go to a BlobStore."""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from hpcflow.store.blobs import BlobStore
from hpcflow.types.check import is_namedtuple
from hpcflow.types.custom import custom_type
from hpcflow.types.lazy_numpy import is_array, is_numpy_scalar


def encode(value: Any, blobs: BlobStore) -> Any:
    """A JSON-able form of `value` that `decode` turns back into an equal value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if is_array(value):
        return {"$ndarray": blobs.put_array(value)}
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
    if isinstance(value, (list, tuple)):
        return [encode(v, blobs) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("dict keys must be str to be stored")
        items = {k: encode(v, blobs) for k, v in value.items()}
        return {"$dict": items} if any(k.startswith("$") for k in value) else items
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def decode(obj: Any, blobs: BlobStore) -> Any:
    """The value that `encode` gave `obj` for."""
    if isinstance(obj, list):
        return [decode(v, blobs) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "$ndarray" in obj:
        return blobs.get_array(obj["$ndarray"])
    if "$custom" in obj:
        cls = _load_class(obj["$custom"])
        return custom_type(cls).from_json(obj["value"])  # type: ignore[union-attr]
    if "$dict" in obj:
        return {k: decode(v, blobs) for k, v in obj["$dict"].items()}
    if "$namedtuple" in obj or "$dataclass" in obj:
        cls = _load_class(obj.get("$namedtuple") or obj["$dataclass"])
        return cls(**{k: decode(v, blobs) for k, v in obj["fields"].items()})
    return {k: decode(v, blobs) for k, v in obj.items()}


def encode_all(values: list[Any], blobs: BlobStore) -> list[Any]:
    """encode() of each value, in order."""
    return [encode(v, blobs) for v in values]


def decode_all(objs: list[Any], blobs: BlobStore) -> list[Any]:
    """decode() of each encoded form, in order."""
    return [decode(o, blobs) for o in objs]


def to_display(value: Any) -> Any:
    """A plain JSON form for people and scripts: arrays as lists, records as objects."""
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
        return {str(k): to_display(v) for k, v in value.items()}
    return repr(value)


def _class_ref(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _load_class(ref: str) -> type:
    module, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj
