"""Flyte 2's programming model, run locally: `import hpcflow as flyte` and the guide's code.

The expected values are what the flyte SDK (2.6) gives on the same code in its local mode
(bench/compat.py's Flyte 2 part checks that on the SDK's own examples)."""
from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path

import pytest

import hpcflow as flyte
from hpcflow.errors import WorkflowDefinitionError

sys.path.insert(0, str(Path(__file__).parent / "workflows"))
import flyte2_guide  # noqa: E402

env = flyte.TaskEnvironment(name="t", resources=flyte.Resources(cpu=1, memory="250Mi"))
ATTEMPTS: dict[str, int] = {}


@env.task
async def sleepy(x: int) -> int:
    await asyncio.sleep(0.3)
    return x


@env.task
async def fan_out(n: int) -> list[int]:
    return list(await asyncio.gather(*[sleepy(i) for i in range(n)]))


@env.task
async def boom(x: int) -> int:
    raise ValueError(f"bad {x}")


@env.task
async def catches(x: int) -> str:
    try:
        await boom(x)
    except flyte.errors.RuntimeUserError as exc:
        return f"{exc.code}: {exc}"
    return "no error"


@env.task(retries=2)
async def flaky(key: str) -> int:
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    if ATTEMPTS[key] < 3:
        raise ConnectionError("try again")
    return ATTEMPTS[key]


@env.task(retries=3)
async def gives_up() -> int:
    ATTEMPTS["gives_up"] = ATTEMPTS.get("gives_up", 0) + 1
    raise flyte.errors.NonRecoverableError("do not retry")


@env.task(retries=1)
async def always_fails() -> int:
    raise KeyError("k")


@env.task(timeout=0.2)
async def too_slow() -> int:
    await asyncio.sleep(5)
    return 1


@env.task
async def parent_of_slow() -> str:
    try:
        await too_slow()
    except flyte.errors.TaskTimeoutError as exc:
        return type(exc).__name__
    return "finished"


@env.task
def sync_child(x: int) -> int:
    return x + 1


@env.task
async def gathers_sync(n: int) -> list[int]:
    return list(await asyncio.gather(*[sync_child.aio(i) for i in range(n)]))


@env.task
async def blocks_the_loop() -> int:
    return sync_child(1)


@env.task
async def grouped() -> tuple[str, str, str]:
    with flyte.group("stage-1"):
        name = flyte.ctx().group_data.name
    return name, flyte.ctx().action.name, flyte.ctx().mode


@env.task
async def map_variants(n: int) -> tuple[list, list, list]:
    awaited = await flyte.map(square_async, range(n))
    iterated = [x async for x in flyte.map.aio(square_async, range(n), concurrency=2)]
    with_errors = await flyte.map(boom, [1])
    return awaited, iterated, [type(e).__name__ for e in with_errors]


@env.task
async def square_async(x: int) -> int:
    return x * x


def test_the_guides_code_runs_as_under_flyte():
    items = [{"id": i} for i in range(1000)]
    expected = [{"processed": i} for i in range(1000)]
    run = flyte.run(flyte2_guide.process_dataset, items=items)
    assert run.outputs()[0] == expected and run.outputs().o0 == expected
    assert run.name and run.url.endswith(run.name) and run.wait() is None
    assert run.calls == 1 + 10 + 1000  # the root, its batches, their items: each a child call
    assert flyte.run(flyte2_guide.process_dataset_mapped, items=items).outputs()[0] == expected
    assert flyte.run(flyte2_guide.sum_of_squares, n=5).outputs()[0] == 30


def test_children_run_concurrently():
    start = time.perf_counter()
    assert flyte.run(fan_out, n=8).outputs()[0] == list(range(8))
    assert time.perf_counter() - start < 1.5  # eight 0.3 s children, at once


def test_outside_a_run_tasks_are_plain_functions():
    assert asyncio.run(flyte2_guide.process_batch([{"id": 1}])) == [{"processed": 1}]
    assert flyte2_guide.square(3) == 9
    assert list(flyte.map(flyte2_guide.square, [1, 2])) == [1, 4]
    assert not flyte.ctx() and flyte.ctx().action is None


def test_a_childs_failure_reaches_the_parent_as_flytes_error():
    assert flyte.run(catches, x=1).outputs()[0] == "ValueError: bad 1"
    with pytest.raises(flyte.errors.RuntimeUserError, match="bad 2") as info:
        flyte.run(boom, x=2)
    assert info.value.code == "ValueError" and isinstance(info.value.__cause__, ValueError)


def test_retries_follow_flyte_2():
    assert flyte.run(flaky, key="a").outputs()[0] == 3
    with pytest.raises(flyte.errors.RuntimeUserError, match="do not retry") as stopped:
        flyte.run(gives_up)
    assert ATTEMPTS["gives_up"] == 1  # NonRecoverableError: no more attempts
    assert type(stopped.value) is flyte.errors.RuntimeUserError and stopped.value.code == "NonRecoverableError"
    with pytest.raises(flyte.errors.RetriesExhaustedError) as info:
        flyte.run(always_fails)
    assert info.value.code == "KeyError"


def test_timeout_raises_task_timeout_error():
    assert flyte.run(parent_of_slow).outputs()[0] == "TaskTimeoutError"


def test_sync_tasks_run_in_threads_and_aio_awaits_them():
    assert flyte.run(gathers_sync, n=4).outputs()[0] == [1, 2, 3, 4]
    assert flyte.run(blocks_the_loop).outputs()[0] == 2  # as in flyte: the async parent blocks until it has run


def test_map_is_awaited_iterated_and_async_iterated():
    awaited, iterated, errors = flyte.run(map_variants, n=4).outputs()
    assert awaited == iterated == [0, 1, 4, 9] and errors == ["RuntimeUserError"]


def test_group_and_ctx():
    assert flyte.run(grouped).outputs() == ("stage-1", "a0", "local")  # several outputs: the tuple, as in flyte


def test_cache_auto_reuses_a_result(tmp_path, monkeypatch):
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("HPCFLOW_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    cached_env = flyte.TaskEnvironment(name="cached", cache="auto")

    @cached_env.task
    async def counted(x: int) -> int:
        calls.append(x)
        return x * 10

    first = flyte.run(counted, x=2).outputs()[0]
    second = flyte.run(counted, x=2).outputs()[0]
    assert first == second == 20 and calls == [2]
    flyte.with_runcontext(overwrite_cache=True).run(counted, x=2)
    assert calls == [2, 2]
    out = flyte.run(flyte2_guide.expensive_computation, input_data={"url": "u", "n": 2}).outputs()[0]
    assert out == {"url": "u", "n": 4}


def test_run_context_and_init():
    flyte.init()
    flyte.init_from_config()
    with pytest.raises(flyte.errors.InitializationError, match="does not exist"):
        flyte.init_from_config("/nonexistent/config.yaml")
    run = flyte.with_runcontext(mode="local", name="my-run", env_vars={"HF_T": "1"}).run(grouped)
    assert run.name == "my-run"
    with pytest.raises(WorkflowDefinitionError, match="no other mode"):
        flyte.with_runcontext(mode="hybrid")

    async def inside() -> object:
        return await flyte.run.aio(square_async, x=3)

    assert asyncio.run(inside()).outputs()[0] == 9


def test_a_config_naming_a_site_makes_runs_remote_unless_the_run_says_local(tmp_path, monkeypatch):
    """Which runs go to Slurm (tests/slurm/test_flyte2_slurm.py submits them): a site named by init_from_config,
    as a site config or in a Flyte config's `hpcflow:` section; with_runcontext(mode=...) decides per run."""
    from hpcflow.sdk.flyte2.runs import RunSettings, current_site, mode_of
    from hpcflow.site.config import SiteConfigError, resolve_site_path

    monkeypatch.delenv("HPCFLOW_SITE", raising=False)
    site = resolve_site_path("dev-cluster")
    flyte_config = tmp_path / "config.yaml"
    flyte_config.write_text(f"admin:\n  endpoint: dns:///example.com\nhpcflow:\n  insecure: true\n  site: '{site}'\n")
    broken = tmp_path / "broken.toml"
    broken.write_text("scheduler = 'pbs'\n")
    try:
        flyte.init_from_config(str(site))
        assert current_site() == str(site.resolve()) and mode_of(RunSettings()) == "remote"
        assert flyte.with_runcontext(mode="local").run(square_async, x=4).outputs()[0] == 16
        flyte.init_from_config(flyte_config)
        assert current_site() == str(site) and mode_of(RunSettings()) == "remote"
        with pytest.raises(SiteConfigError, match="scheduler"):
            flyte.init_from_config(broken)
        flyte.init()  # a later init replaces the config: runs are local again
        assert mode_of(RunSettings()) == "local" and flyte.run(square_async, x=5).outputs()[0] == 25
        with pytest.raises(WorkflowDefinitionError, match="needs a site to submit to"):
            flyte.with_runcontext(mode="remote").run(square_async, x=5)
    finally:
        flyte.init()


def test_options_are_honoured_or_refused():
    with pytest.raises(WorkflowDefinitionError, match="secret"):
        flyte.TaskEnvironment(name="s", secrets=flyte.Secret(key="k"))
    with pytest.raises(WorkflowDefinitionError, match="not both"):
        flyte.TaskEnvironment(name="r", reusable=flyte.ReusePolicy(replicas=1),
                              reuse_policy=flyte.ReusePolicy(replicas=2))
    both = flyte.TaskEnvironment(name="r2", reusable=flyte.ReusePolicy(replicas=(1, 3)), image=flyte.Image
                                 .from_debian_base().with_pip_packages("numpy"))

    @both.task(retries=flyte.RetryStrategy(count=2), timeout=flyte.Timeout(max_runtime=60))
    def t(x: int) -> int:
        return x

    assert (t.spec.retries, t.spec.timeout, t.spec.environment.reuse.max_replicas) == (2, 60.0, 3)
    assert t.override(retries=0).spec.retries == 0 and t.name == "r2.t"
    assert flyte.run(t, x=4).outputs()[0] == 4


def test_files_are_references_on_the_filesystem(tmp_path, monkeypatch):
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path))
    source = tmp_path / "in.txt"
    source.write_text("hello")

    @env.task
    async def shout(f: flyte.io.File) -> flyte.io.File:
        async with f.open("rb") as fh:
            text = (await fh.read()).decode()
        out = flyte.io.File.new_remote("out.txt")
        async with out.open("wb") as fh:
            await fh.write(text.upper().encode())
        return out

    result = flyte.run(shout, f=flyte.io.File.from_local_sync(source)).outputs()[0]
    assert Path(result.download_sync()).read_text() == "HELLO"
    folder = flyte.io.Dir.from_local_sync(tmp_path)
    assert any(f.name == "in.txt" for f in folder.walk_sync())


def test_a_sync_parent_waits_in_its_own_thread():
    seen = []

    @env.task
    def record(x: int) -> int:
        seen.append(threading.current_thread().name)
        return x

    @env.task
    def sync_parent(n: int) -> list[int]:
        return [record(i) for i in range(n)]

    assert flyte.run(sync_parent, n=3).outputs()[0] == [0, 1, 2]
    assert threading.main_thread().name not in seen


GUIDE = Path(__file__).parent / "workflows" / "flyte2_guide.py"


def test_hpcflow_run_takes_a_flyte2_task_and_submit_plans_its_body_as_a_job(hpcflow):
    import json

    res = hpcflow("run", f"{GUIDE}:sum_of_squares", "-i", "n=4", "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["outputs"] == {"o0": 14}
    res = hpcflow("run", str(GUIDE), "process_batch", "--items", '[{"id": 3}]', "--json")
    assert json.loads(res.stdout)["outputs"] == {"o0": [{"processed": 3}]}
    res = hpcflow("submit", f"{GUIDE}:sum_of_squares", "--site", "dev-cluster", "-i", "n=2", "--dry-run", "--json")
    assert res.code == 0, res.stderr  # a sync root too: its body in a job, its children in waves
    assert len(res.json["calls"]) == 1 and "sum_of_squares" in res.stdout
