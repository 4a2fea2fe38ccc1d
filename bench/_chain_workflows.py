"""The workflows of bench/jobs_per_node.py: a chain of four nodes, each with retries=2."""
from hpcflow import task, workflow


@task(retries=2)
def plus_one(x: int) -> int:
    return x + 1


@workflow
def retried_chain(x: int = 0) -> int:
    return plus_one(x=plus_one(x=plus_one(x=plus_one(x=x))))

