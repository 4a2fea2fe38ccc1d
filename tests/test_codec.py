"""The value codec for flytekit's data types: Enums, nested dataclasses, dicts not keyed by str
and pickles; shown without decoding, and no pickle is loaded that does not match its hash."""
from __future__ import annotations

import enum
import os
from pathlib import Path

import pytest

from hpcflow.store.blobs import BlobStore, DamagedBlobError, PickleRefusedError
from hpcflow.store.codec import UntrustedValueError, decode, display, encode, holds_pickle, to_display
from hpcflow.store.hashing import value_digest
from type_cases import Color, Crate, Fruit


class Mode(str, enum.Enum):
    FAST = "fast"


class Tally:
    def __init__(self, count: int):
        self.count = count

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tally) and other.count == self.count


class Boom:
    """Unpickling it touches a file: what a hostile pickle would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("value", [
    Color.BLUE, Mode.FAST, [Color.RED, None], {"a": [Fruit("x", Color.BLUE)]}, [{"k": Fruit("y")}],
    Crate([Fruit("p")], Fruit("q"), {1: "p", 2: "q"}), {Color.RED: 1}, Tally(3), {1, 2}, [Tally(1), {"t": Tally(2)}],
    (1, "a", (Color.RED,)), {(1, 2): "pair"},
], ids=lambda v: type(v).__name__)
def test_values_come_back_equal_and_of_their_type(tmp_path: Path, value):
    blobs = BlobStore(tmp_path)
    back = decode(encode(value, blobs), blobs)
    assert back == value and type(back) is type(value)


def test_enum_and_record_forms_show_as_plain_json_and_pickles_by_their_class_only(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    encoded = encode({"c": Crate([Fruit("p", Color.BLUE)], None, {3: "p"}), "m": Mode.FAST, "t": Tally(1)}, blobs)
    assert encoded["m"] == {"$enum": f"{__name__}:Mode", "value": "fast"}  # a str Enum stays a member
    assert display(encoded, blobs) == {"c": {"fruits": [{"name": "p", "color": "blue"}], "best": None,
                                             "shelves": {"3": "p"}},
                                       "m": "fast", "t": f"<pickled {__name__}.Tally>"}
    assert holds_pickle(encoded) and not holds_pickle(encode([Crate([])], blobs))
    value = {"t": Tally(1), "c": [Color.RED], "s": {1}}
    assert to_display(value) == display(encode(value, blobs), blobs)  # `run --json` shows what `outputs` shows


def test_showing_a_pickle_never_loads_it_and_loading_checks_its_hash(tmp_path: Path):
    blobs, marker = BlobStore(tmp_path), tmp_path / "pwned"
    encoded = encode(Boom(marker), blobs)
    assert display(encoded, blobs) == f"<pickled {__name__}.Boom>" and not marker.exists()
    planted = encode(Tally(1), blobs)
    blobs.path(planted["$pickle"]).chmod(0o644)  # written read-only
    blobs.path(planted["$pickle"]).write_bytes(blobs.path(encoded["$pickle"]).read_bytes())  # swapped under its name
    assert not blobs.intact(planted["$pickle"])
    with pytest.raises(DamagedBlobError, match="does not match its hash"):
        decode(planted, blobs)
    assert not marker.exists()


def test_a_store_of_someone_elses_loads_no_pickle(tmp_path: Path):
    marker = tmp_path / "pwned"
    encoded = encode(Boom(marker), BlobStore(tmp_path))
    with pytest.raises(PickleRefusedError, match="in uid 7's run is not loaded"):
        decode(encoded, BlobStore(tmp_path, unpickle=False, owner="uid 7's run"))
    assert not marker.exists()


def test_an_enum_record_naming_a_class_that_is_not_an_enum_is_refused(tmp_path: Path):
    with pytest.raises(UntrustedValueError, match="as an Enum, which it is not"):
        decode({"$enum": "os:system", "value": "ls"}, BlobStore(tmp_path))


def test_cache_hashes_are_stable_for_enums_sets_and_non_str_keys():
    assert value_digest(Color.RED) != value_digest("red") != value_digest(Mode.FAST)
    assert value_digest({"b", "a", "c"}) == value_digest({"c", "a", "b"})  # set order varies between processes
    assert value_digest({1: "a"}) != value_digest({"1": "a"})
    assert value_digest(Tally(2)) == value_digest(Tally(2)) != value_digest(Tally(3))


def test_a_value_of_hpcflows_own_class_is_read_where_its_module_is_not_loaded_yet(tmp_path: Path):
    """The package loads its modules on first use, so a reader (the CLI reading a failure handler's
    FlyteError) may not have loaded the one that defines a stored value's class: hpcflow's own module is
    imported to read it, while any other module a value names is still never imported."""
    import json
    import subprocess
    import sys

    from hpcflow.types.error.error import FlyteError

    blobs = tmp_path / "blobs"
    encoded = json.dumps(encode(FlyteError("boom", "n1"), BlobStore(blobs)))
    script = f"""
import json, sys
from hpcflow.store.blobs import BlobStore
from hpcflow.store.codec import UntrustedValueError, decode
assert "hpcflow.types.error.error" not in sys.modules
value = decode(json.loads({encoded!r}), BlobStore({str(blobs)!r}))
assert (type(value).__name__, value.message, value.failed_node_id) == ("FlyteError", "boom", "n1"), value
for ref in ("this:Thing", "hpcflow.no_such_module:Thing", "hpcflow..x:Thing"):  # `import this` would print
    try:
        decode({{"$dataclass": ref, "f": {{}}}}, BlobStore({str(blobs)!r}))
    except UntrustedValueError:
        pass
    else:
        raise AssertionError(ref)
assert "this" not in sys.modules
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
