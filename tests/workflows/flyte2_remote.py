"""Flyte 2 code a user runs as a script (`python flyte2_remote.py SITE N`): flyte.init_from_config names an
hpcflow site, so flyte.run submits the root to its Slurm (tests/slurm/test_flyte2_slurm.py)."""
import asyncio
import sys

import hpcflow as flyte

env = flyte.TaskEnvironment(name="remote")


@env.task
async def square(x: int) -> int:
    return x * x


@env.task
async def sum_of_squares(n: int) -> int:
    return sum(await asyncio.gather(*[square(i) for i in range(n)]))


@env.task
def cube(x: int) -> int:
    return x * x * x


@env.task
def one_at_a_time(n: int) -> list[int]:
    """A sync parent calling a child in a loop: each call waits for the one before, a wave each."""
    out = []
    for i in range(n):
        try:  # the body's own broad except must not catch the end of a wave
            out.append(cube(i))
        except Exception as exc:  # noqa: BLE001
            out.append(f"caught {exc!r}")
    return out


if __name__ == "__main__":
    flyte.init_from_config(sys.argv[1])
    run = flyte.run(sum_of_squares, n=int(sys.argv[2]))
    print("submitted", run.name, run.phase)
    run.wait()
    print("outputs", run.outputs()[0], run.outputs().o0, run.phase, isinstance(run, flyte.Run))
