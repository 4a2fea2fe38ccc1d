"""Dataclasses, as in the guide.

Source: flytesnacks examples/data_types_and_io/data_types_and_io/dataclass.py
(Apache-2.0, https://github.com/flyteorg/flytesnacks), with the import line changed.
Adapted: the part with Python types only (Datum); left out the FlyteTypes part (it needs
pandas and flytekit's StructuredDataset) and with it `image_spec`/`container_image=`, so
dataclass_wf returns the Datum alone; the `__main__` demo is left out.
"""
from dataclasses import dataclass

from hpcflow import task, workflow


# Python types
# Define a `dataclass` with `int`, `str` and `dict` as the data types
@dataclass
class Datum:
    x: int
    y: str
    z: dict[int, str]


# Once declared, a dataclass can be returned as an output or accepted as an input
@task
def stringify(s: int) -> Datum:
    """
    A dataclass return will be treated as a single complex JSON return.
    """
    return Datum(x=s, y=str(s), z={s: str(s)})


@task
def add(x: Datum, y: Datum) -> Datum:
    """
    Flytekit automatically converts the provided JSON into a data class.
    If the structures don't match, it triggers a runtime failure.
    """
    x.z.update(y.z)
    return Datum(x=x.x + y.x, y=x.y + y.y, z=x.z)


# Define a workflow that calls the tasks created above
@workflow
def dataclass_wf(x: int, y: int) -> Datum:
    return add(x=stringify(s=x), y=stringify(s=y))
