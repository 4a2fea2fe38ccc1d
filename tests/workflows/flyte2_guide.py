"""Flyte 2's guide code, with only `import flyte` changed (tests/test_flyte2.py runs it)."""
import asyncio
from datetime import timedelta

import hpcflow as flyte  # was: import flyte

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
    batches = [items[i:i + 100] for i in range(0, len(items), 100)]
    results = await asyncio.gather(*[process_batch(b) for b in batches])
    return [x for batch in results for x in batch]


@env.task
async def process_dataset_mapped(items: list[dict]) -> list[dict]:
    batches = [items[i:i + 100] for i in range(0, len(items), 100)]
    results = await flyte.map(process_batch, batches)
    return [x for batch in results for x in batch]


@env.task
def square(x: int) -> int:
    return x * x


@env.task
def sum_of_squares(n: int) -> int:  # a sync parent iterates flyte.map, as the SDK's hello.py does
    return sum(flyte.map(square, range(n)))


@flyte.trace
async def fetch(url: str) -> dict:
    return {"url": url}


@env.task(cache="auto")
async def expensive_computation(input_data: dict) -> dict:
    fetched = await fetch(input_data["url"])
    return {**fetched, "n": input_data["n"] * 2}


if __name__ == "__main__":
    flyte.init()
    print(flyte.run(process_dataset, items=[{"id": i} for i in range(1000)]).outputs()[0][:3])
