"""flytekit's pickle_untyped=True: inputs and a return value without annotations are Any."""
from hpcflow import task, workflow


@task(pickle_untyped=True)
def pair(a, b: int):
    return [a, b]


@task(pickle_untyped=True)
def nothing(a) -> None:
    return None


@workflow(pickle_untyped=True)
def untyped(a, b: int):
    return pair(a=a, b=b)
