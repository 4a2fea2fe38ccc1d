"""Enum types, as in the guide.

Source: flytesnacks examples/data_types_and_io/data_types_and_io/enum_type.py
(Apache-2.0, https://github.com/flyteorg/flytesnacks), code as published with only the import
line changed. Left out: the `__main__` demo.
"""
from enum import Enum

from hpcflow import task, workflow


# Define an enum and a simple coffee maker workflow that accepts an order
# and brews coffee ☕️ accordingly.
# The assumption is that the coffee maker only understands enum inputs.
class Coffee(Enum):
    ESPRESSO = "espresso"
    AMERICANO = "americano"
    LATTE = "latte"
    CAPPUCCINO = "cappucccino"


@task
def take_order(coffee: str) -> Coffee:
    return Coffee(coffee)


@task
def prep_order(coffee_enum: Coffee) -> str:
    return f"Preparing {coffee_enum.value} ..."


@workflow
def coffee_maker(coffee: str) -> str:
    coffee_enum = take_order(coffee=coffee)
    return prep_order(coffee_enum=coffee_enum)


# The workflow can also accept an enum value
@workflow
def coffee_maker_enum(coffee_enum: Coffee) -> str:
    return prep_order(coffee_enum=coffee_enum)
