"""What a Flyte 2 task call receives and gives in a local run, as the flyte SDK 2.6 passes it:
dicts become the pydantic models and dataclasses the task declares, datetimes arrive in UTC;
a sync task called without await from an async one blocks it and answers; a task passed as an
input of a cached task is keyed by what it is; flyte.io's async file reads lines."""
from __future__ import annotations

import asyncio
import dataclasses
import datetime
from typing import Optional

import pydantic

import hpcflow as flyte

env = flyte.TaskEnvironment(name="values")
UTC = datetime.timezone.utc


class Query(pydantic.BaseModel):
    query: str
    name: str = "default"
    tags: Optional[dict[str, str]] = None


@dataclasses.dataclass
class QueryDC:
    query: str
    name: str = "default"


@env.task
async def describe(q: Query, qs: list[Query], dc: QueryDC, when: datetime.datetime,
                   maybe: Optional[datetime.datetime] = None) -> str:
    return f"{q!r} {qs!r} {dc!r} {when.isoformat()} {maybe.isoformat() if maybe else None}"


@env.task
async def makes_model() -> Query:
    return {"query": "from a dict"}  # type: ignore[return-value]


def test_dicts_become_models_and_datetimes_arrive_in_utc():
    out = flyte.run(describe, q={"query": "a"}, qs=[{"query": "b", "tags": {"k": "v"}}], dc={"query": "c"},
                    when=datetime.datetime(2024, 1, 1, 12),
                    maybe=datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2))))
    assert out.outputs()[0] == ("Query(query='a', name='default', tags=None) "
                                "[Query(query='b', name='default', tags={'k': 'v'})] "
                                "QueryDC(query='c', name='default') "
                                "2024-01-01T12:00:00+00:00 2024-01-01T10:00:00+00:00")
    assert flyte.run(makes_model).outputs()[0] == Query(query="from a dict")


@env.task
def sync_leaf(x: int) -> int:
    return x + 1


@env.task
def sync_middle(x: int) -> int:
    return sync_leaf(x) * 10  # a sync task's own child call, from the helper loop's thread


@env.task
async def async_parent() -> list[int]:
    blocking = sync_middle(1)  # no await: flyte blocks the parent until the child has run
    gathered = await asyncio.gather(*[sync_middle.aio(i) for i in range(3)])
    return [blocking, *gathered]


def test_a_sync_task_called_without_await_in_an_async_one_answers():
    run = flyte.run(async_parent)
    assert run.outputs()[0] == [20, 10, 20, 30]
    assert run.calls == 1 + 4 * 2  # every call of the run is counted, the helper loop's too


CALLS: list[int] = []


@env.task
async def square(x: int) -> int:
    CALLS.append(x)
    return x * x


@env.task(cache="auto")
async def apply(udf: object, x: int) -> int:
    assert isinstance(udf, flyte.TaskTemplate)
    return await udf.aio(x)  # sync and async tasks alike


def test_a_task_passed_to_a_cached_task_is_keyed_by_what_it_is(tmp_path, monkeypatch):
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("HPCFLOW_CACHE_DIR", str(tmp_path / "cache"))
    CALLS.clear()
    assert flyte.run(apply, square, 3).outputs()[0] == 9
    assert flyte.run(apply, square, 3).outputs()[0] == 9
    assert CALLS == [3]  # the second run was answered from the cache
    assert flyte.run(apply, sync_leaf, 3).outputs()[0] == 4  # another task: another key


def test_an_async_file_reads_lines(tmp_path, monkeypatch):
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path))
    source = tmp_path / "lines.txt"
    source.write_text("a\nb\n")

    @env.task
    async def lines(f: flyte.io.File) -> list[str]:
        async with f.open("r") as fh:
            first = await fh.readlines()
            await fh.seek(0)
            return first + [await fh.readline(), str(await fh.tell())]

    assert flyte.run(lines, flyte.io.File.from_local_sync(source)).outputs()[0] == ["a\n", "b\n", "a\n", "2"]
