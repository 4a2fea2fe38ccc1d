"""@eager workflows whose children run in waves of jobs (sdk/waves.py)."""
import asyncio
import os
import time

from hpcflow import eager, task


@task
def add_one(x: int) -> int:
    return x + 1


@task
def double(x: int) -> int:
    return x * 2


@eager
async def gather_many(n: int) -> int:
    """n children of one task in one wave: one array, one sbatch."""
    return sum(await asyncio.gather(*[add_one(x=i) for i in range(n)]))


@eager
async def three_waves(xs: list[int]) -> int:
    """Three sequential awaits over maps: three waves."""
    a = await asyncio.gather(*[add_one(x=x) for x in xs])
    b = await asyncio.gather(*[double(x=y) for y in a])
    c = await asyncio.gather(*[add_one(x=z) for z in b])
    return sum(c)


@task
def merge(a: list[int], b: list[int]) -> list[int]:
    out: list[int] = []
    while a and b:
        out.append(a.pop(0) if a[0] <= b[0] else b.pop(0))
    return out + a + b


@eager
async def merge_sort(xs: list[int]) -> list[int]:
    """Awaits itself on both halves: one wave of merges per level of the recursion."""
    if len(xs) <= 1:
        return xs
    half = len(xs) // 2
    left, right = await asyncio.gather(merge_sort(xs=xs[:half]), merge_sort(xs=xs[half:]))
    return await merge(a=left, b=right)


@task
def slow_add(x: int, folder: str) -> int:
    """Leaves a mark per run of each child, so a test can count them; then ends once the test leaves `go` in the
    folder (at most 300 s on), so that what waits on the wave is certainly queued until the test has acted."""
    with open(os.path.join(folder, f"ran-{x}-{os.getpid()}"), "w"):
        pass
    deadline = time.time() + 300
    while not os.path.exists(os.path.join(folder, "go")) and time.time() < deadline:
        time.sleep(0.2)
    return x + 100


@eager
async def two_waves_of_marks(xs: list[int], folder: str) -> int:
    first = await asyncio.gather(*[slow_add(x=x, folder=folder) for x in xs])
    return sum(await asyncio.gather(*[double(x=y) for y in first]))


@eager
async def not_deterministic(x: int) -> int:
    """Calls a child with the time of day: a replay makes another call than the wave before."""
    first = await add_one(x=x)
    return await add_one(x=first + int(time.time_ns() % 1000003))
