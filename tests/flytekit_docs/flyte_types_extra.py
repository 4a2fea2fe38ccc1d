"""Enums, nested generics of dataclasses and pickled values, combined as users combine them.

Written for hpcflow's tests (not taken from flytekit's docs); record_types.py runs it with
flytekit 1.16.31 to record the answers in expected_types.json.
"""
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

from hpcflow import map_task, task, workflow


class Color(Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


@dataclass
class Fruit:
    name: str
    weight: float
    color: Color = Color.RED


@dataclass
class Crate:
    label: str
    fruits: list[Fruit]
    best: Optional[Fruit] = None
    shelves: dict[int, str] = field(default_factory=dict)


# --- Enums: inputs, outputs, in map tasks -----------------------------------------------------
@task
def describe(color: Color) -> str:
    return f"{color.name.lower()} is {color.value}"


@task
def complement(color: Color) -> Color:
    return {Color.RED: Color.GREEN, Color.GREEN: Color.BLUE, Color.BLUE: Color.RED}[color]


@workflow
def color_wf(color: Color) -> tuple[str, Color]:
    other = complement(color=color)
    return describe(color=other), other


@workflow
def default_color_wf(color: Color = Color.BLUE) -> str:
    return describe(color=color)


@workflow
def map_colors(colors: list[Color]) -> list[str]:
    return map_task(describe)(color=map_task(complement)(color=colors))


@task
def order(name: str) -> str:
    return name.strip().lower()


@task
def label(text: str) -> str:
    return f"[{text}]"


@workflow
def enum_str_wf(name: str) -> tuple[str, str]:
    # an Enum promise where a str is declared, a str promise where an Enum is: flytekit passes one for the other
    return label(text=complement(color=order(name=name))), describe(color=name)


@task
def hue(fruit: Fruit) -> Color:
    return fruit.color


@workflow
def map_hues(fruits: list[Fruit]) -> list[Color]:
    return map_task(hue)(fruit=fruits)


# --- nested generics of dataclasses ---------------------------------------------------------
@task
def group(fruits: list[Fruit]) -> dict[str, list[Fruit]]:
    groups: dict[str, list[Fruit]] = {}
    for f in fruits:
        groups.setdefault(f.color.value, []).append(f)
    return groups


@task
def heaviest(groups: dict[str, list[Fruit]]) -> list[dict[str, Fruit]]:
    return [{color: max(groups[color], key=lambda f: f.weight)} for color in sorted(groups)]


@task
def pick(rows: list[dict[str, Fruit]], name: str) -> Optional[Fruit]:
    return next((f for row in rows for f in row.values() if f.name == name), None)


@task
def weight_of(fruit: Optional[Fruit]) -> float:
    return 0.0 if fruit is None else fruit.weight


@workflow
def basket_wf(fruits: list[Fruit], name: str) -> tuple[dict[str, list[Fruit]], list[dict[str, Fruit]], Optional[Fruit], float]:
    groups = group(fruits=fruits)
    rows = heaviest(groups=groups)
    found = pick(rows=rows, name=name)
    return groups, rows, found, weight_of(fruit=found)


@workflow
def groups_input_wf(groups: dict[str, list[Fruit]]) -> list[dict[str, Fruit]]:
    return heaviest(groups=groups)


@task
def pack(label: str, fruits: list[Fruit]) -> Crate:
    best = max(fruits, key=lambda f: f.weight) if fruits else None
    return Crate(label=label, fruits=fruits, best=best, shelves={i: f.name for i, f in enumerate(fruits)})


@task
def crate_weight(crate: Crate) -> float:
    return sum(f.weight for f in crate.fruits)


@workflow
def crate_wf(label: str, fruits: list[Fruit]) -> tuple[Crate, float]:
    crate = pack(label=label, fruits=fruits)
    return crate, crate_weight(crate=crate)


@workflow
def crate_input_wf(crate: Crate) -> float:
    return crate_weight(crate=crate)


# --- values flytekit pickles: a plain class, typing.Any, set ---------------------------------
class Tally:
    def __init__(self, start: int):
        self.count = start


@task
def open_tally(start: int) -> Tally:
    return Tally(start)


@task
def bump(tally: Tally, by: int) -> Tally:
    tally.count += by
    return tally


@task
def read_tally(tally: Tally) -> int:
    return tally.count


@task
def anything(n: int) -> Any:
    return {"n": n, "tags": {"a", "b", str(n)}}


@task
def size_of(thing: Any) -> int:
    return thing["n"] + len(thing["tags"])


@task
def unique(xs: list[int]) -> set:
    return set(xs)


@task
def count_unique(s: set) -> int:
    return len(s)


@workflow
def pickle_wf(start: int, by: int, xs: list[int]) -> tuple[int, int, int]:
    tally = bump(tally=open_tally(start=start), by=by)
    return read_tally(tally=tally), size_of(thing=anything(n=start)), count_unique(s=unique(xs=xs))


@workflow
def map_pickles(starts: list[int]) -> list[int]:
    return map_task(read_tally)(tally=map_task(open_tally)(start=starts))


@task
def sum_tallies(tallies: typing.List[Tally]) -> int:
    return sum(t.count for t in tallies)


@workflow
def pickled_list_wf(starts: list[int]) -> int:
    tallies = map_task(open_tally)(start=starts)
    return sum_tallies(tallies=tallies)


@task
def bounds_of(xs: list[int]) -> Any:
    return {"bounds": (min(xs), max(xs))}  # flytekit refuses a bare tuple returned as one output


@task
def span(found: Any) -> str:
    bounds = found["bounds"]
    return f"{type(bounds).__name__} {bounds[1] - bounds[0]}"


@workflow
def tuple_wf(xs: list[int]) -> str:
    return span(found=bounds_of(xs=xs))
