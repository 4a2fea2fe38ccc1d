"""Flyte 2 options a local run accepts as the flyte SDK 2.6 does: flyte.custom_context, notifications,
queue=, Timeout's deadline and max_queued_time, max_inline_io_bytes, TPUs, Image.clone."""
from __future__ import annotations

import asyncio
import datetime
import logging

import pytest

import hpcflow as flyte
from hpcflow.models import ActionPhase
from hpcflow.notify import Email, NamedRule, Slack, Webhook

env = flyte.TaskEnvironment(name="opts")


@env.task
async def increment(x: int) -> int:
    return x + int(flyte.ctx().custom_context.get("increment", "100"))


@env.task
async def with_blocks(x: int) -> tuple[list[int], dict[str, str]]:
    values = []
    for i in range(3):
        with flyte.custom_context(increment=str(i)):
            values.append(await increment(x))
    return values, flyte.get_custom_context()


@env.task
async def nested_blocks() -> dict[str, str]:
    with flyte.custom_context(a="1"):
        with flyte.custom_context(b="2"):
            return await reads_context()


@env.task
async def reads_context() -> dict[str, str]:
    return dict(flyte.ctx().custom_context)


def test_custom_context_reaches_the_calls_made_in_its_block():
    values, outside = flyte.run(with_blocks, x=10).outputs()  # a tuple: one output per value
    assert values == [10, 11, 12] and outside == {}
    assert flyte.run(nested_blocks).outputs()[0] == {"a": "1", "b": "2"}
    run = flyte.with_runcontext(custom_context={"run": "r", "a": "0"}).run(nested_blocks)
    assert run.outputs()[0] == {"run": "r", "a": "1", "b": "2"}  # the block's entries on top of the run's
    with flyte.custom_context(ignored="outside a task"):
        assert flyte.get_custom_context() == {}


@env.task
def add(x: int, y: int) -> int:
    return x + y


@env.task
def fails() -> int:
    raise ValueError("no")


def test_notifications_are_checked_and_logged_not_sent(caplog):
    ok = Slack(on_phase=ActionPhase.SUCCEEDED, webhook_url="https://hooks.example/x")
    bad = Email(on_phase=(ActionPhase.FAILED, ActionPhase.TIMED_OUT), recipients=["a@example.com"])
    hook = Webhook(on_phase=ActionPhase.FAILED, url="https://example.com/h")
    with caplog.at_level(logging.INFO, logger="hpcflow.notify"):
        run = flyte.with_runcontext(notifications=(ok, bad, hook, NamedRule("oncall"))).run(add, x=3, y=7)
    assert run.outputs()[0] == 10
    lines = [r.getMessage() for r in caplog.records]
    assert any("Slack notification to https://hooks.example/x not sent" in m for m in lines)
    assert not any("Email" in m or "Webhook" in m for m in lines) and any("'oncall'" in m for m in lines)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hpcflow.notify"), pytest.raises(flyte.errors.RuntimeUserError):
        flyte.with_runcontext(notifications=[bad, hook]).run(fails)
    assert [m for m in (r.getMessage() for r in caplog.records) if "failed" in m] and \
        "a@example.com" in caplog.text and "POST https://example.com/h" in caplog.text
    assert hook.body["phase"] == "{{.Phase}}" and bad.recipients == ("a@example.com",)
    with pytest.raises(ValueError, match="not supported"):
        Slack(on_phase=ActionPhase.RUNNING, webhook_url="u")
    with pytest.raises(ValueError, match="recipient"):
        Email(on_phase=ActionPhase.FAILED, recipients=())
    with pytest.raises(TypeError, match="notifications="):
        flyte.with_runcontext(notifications="oncall@example.com")
    assert ActionPhase.SUCCEEDED.is_terminal and not ActionPhase.RUNNING.is_terminal


def test_queue_is_accepted_and_kept():
    queued = flyte.TaskEnvironment(name="q", queue="gpu-cluster")

    @queued.task
    async def where(x: int) -> int:
        return x

    assert where.options.queue == "gpu-cluster" and where.override(queue="other").options.queue == "other"
    assert flyte.with_runcontext(queue="q1").run(where.override(queue="dogfood-1"), 4).outputs()[0] == 4


@env.task(timeout=flyte.Timeout(max_runtime=datetime.timedelta(seconds=30),
                                max_queued_time=datetime.timedelta(seconds=1), deadline=60))
async def bounded() -> str:
    await asyncio.sleep(0.05)
    return "done"


@env.task(retries=5, timeout=flyte.Timeout(deadline=datetime.timedelta(seconds=0.3)))
async def keeps_failing() -> str:
    await asyncio.sleep(0.1)
    raise ConnectionError("again")


@env.task
async def catches_deadline() -> str:
    try:
        await keeps_failing()
    except flyte.errors.TaskTimeoutError as exc:
        return str(exc)
    return "no timeout"


def test_timeout_deadline_bounds_every_attempt_together():
    assert flyte.run(bounded).outputs()[0] == "done"
    assert (bounded.options.timeout_s, bounded.options.deadline_s) == (30.0, 60.0)
    assert "deadline of 0.3 s" in flyte.run(catches_deadline).outputs()[0]


@env.task(max_inline_io_bytes=10)
async def echo(x: str) -> str:
    return x


def test_max_inline_io_bytes_is_no_limit_here():
    assert flyte.run(echo, "A" * 1000).outputs()[0] == "A" * 1000
    assert issubclass(flyte.errors.InlineIOMaxBytesBreached, flyte.errors.RuntimeUserError)


def test_accelerators_and_image_clone():
    tpu = flyte.Resources(gpu=flyte.TPU("V5P", "2x2x1"))
    assert (tpu.gpu, tpu.gpu_type) == (1, "V5P") and flyte.TPU("V5P", "2x2x1").topology == "2x2x1"
    assert flyte.Resources(gpu=flyte.AMD_GPU("MI300X")).gpu_type == "MI300X"
    assert flyte.Neuron("Trn1").device_class == "NEURON" and flyte.HABANA_GAUDI("Gaudi1").quantity == 1
    image = flyte.Image.from_base("ghcr.io/x/y:1").clone(name="mine")
    assert (image.base, image.name) == ("ghcr.io/x/y:1", "mine")


def test_triggers_are_kept_on_the_task_and_artifacts_are_their_values(tmp_path, caplog):
    nightly = flyte.Trigger(name="nightly", automation=flyte.Cron("@daily"), inputs={"when": flyte.TriggerTime})
    on_model = flyte.Trigger(name="retrain", automation=flyte.OnArtifact(name="model"),
                             inputs={"model": flyte.TriggeredArtifact})

    with caplog.at_level(logging.INFO, logger="hpcflow.triggers"):
        @env.task(triggers=(nightly, on_model), produces_artifacts=True)
        async def publish(text: str) -> flyte.io.File:
            path = tmp_path / "model.bin"
            path.write_text(text)
            return flyte.artifacts.new(flyte.io.File.from_local_sync(path), flyte.artifacts.Metadata(name="model"))

    assert publish.triggers == (nightly, on_model) and nightly.cron_line() == "0 0 * * *"
    assert on_model.cron_line() is None and "not armed" in caplog.text
    out = flyte.run(publish, "weights").outputs()[0]
    assert isinstance(out, flyte.io.File) and open(out.path).read() == "weights"
    with pytest.raises(TypeError, match="only a flyte.io File or Dir"):
        flyte.artifacts.new(3, flyte.artifacts.Metadata(name="n"))
    with pytest.raises(ValueError):
        flyte.Cron("61 * * * *")
    with pytest.raises(TypeError, match="triggers="):
        env.task(triggers=["@daily"])(lambda: None)
