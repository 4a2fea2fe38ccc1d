"""Types the codec and type-check tests share: an Enum, and dataclasses that nest it."""
from __future__ import annotations

import dataclasses
import enum
from typing import Optional


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Fruit:
    name: str
    color: Color = Color.RED


@dataclasses.dataclass
class Crate:
    fruits: list[Fruit]
    best: Optional[Fruit] = None
    shelves: dict[int, str] = dataclasses.field(default_factory=dict)
