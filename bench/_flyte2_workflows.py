"""The batched dataset of Flyte 2's guide, for bench/flyte2.py, in the forms it compares.

`process_dataset` and its tasks are the issue's code (from a Flyte 2 guide) with only `import flyte` changed;
bench/flyte2.py runs this file under the real flyte SDK too, with the import changed back. `plain_dataset` is
the same code in an environment without reuse_policy (each batch a job element, no warm pool). The
flytekit-style forms below (static map task, @dynamic) do the same work; the bench runs them on hpcflow only.
"""
import asyncio
from datetime import timedelta

import hpcflow as flyte  # was: import flyte

BATCH = 1000

env = flyte.TaskEnvironment(
    name="high-throughput",
    reuse_policy=flyte.ReusePolicy(replicas=(2, 10), concurrency=5,
                                   scaledown_ttl=timedelta(minutes=10), idle_ttl=timedelta(hours=1)),
)


@env.task
async def process_item(item: dict) -> dict:
    return {"processed": item["id"]}


@env.task
async def process_batch(items: list[dict]) -> list[dict]:
    return [await process_item(item) for item in items]


@env.task
async def process_dataset(items: list[dict]) -> list[dict]:
    batches = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
    results = await asyncio.gather(*[process_batch(b) for b in batches])
    return [x for batch in results for x in batch]


plain = flyte.TaskEnvironment(name="plain")


@plain.task
async def plain_item(item: dict) -> dict:
    return {"processed": item["id"]}


@plain.task
async def plain_batch(items: list[dict]) -> list[dict]:
    return [await plain_item(item) for item in items]


@plain.task
async def plain_dataset(items: list[dict]) -> list[dict]:
    batches = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
    results = await asyncio.gather(*[plain_batch(b) for b in batches])
    return [x for batch in results for x in batch]


# --- flytekit's forms of the same work (hpcflow only) -----------------------------------------------------
try:
    from hpcflow import dynamic, map_task, task, workflow
except ImportError:  # under the flyte SDK these forms are not defined
    pass
else:
    @task
    def make_batches(items: list[dict]) -> list[list[dict]]:
        return [items[i:i + BATCH] for i in range(0, len(items), BATCH)]

    @task
    def batch_task(items: list[dict]) -> list[dict]:
        return [{"processed": item["id"]} for item in items]

    @task
    def flatten(batches: list[list[dict]]) -> list[dict]:
        return [x for batch in batches for x in batch]

    @workflow
    def static_form(items: list[dict]) -> list[dict]:
        """Compiled at submit: a job for the batches, an array of batches, a job to flatten."""
        return flatten(batches=map_task(batch_task)(items=make_batches(items=items)))

    @dynamic
    def dynamic_inner(items: list[dict]) -> list[dict]:
        batches = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
        return flatten(batches=map_task(batch_task)(items=batches))

    @workflow
    def dynamic_form(items: list[dict]) -> list[dict]:
        """The @dynamic form: a job that compiles the array of batches at run time."""
        return dynamic_inner(items=items)
