"""A Flyte 2 task submitted to a scheduler: its body runs in a job and its children in waves (sdk/waves.py).

The root's child calls go through the run's ChildRunner (children.py); in a wave's job that is a
WaveRunner, which answers a call from the waves before or records it for the next one. Each child
then runs as an element of its wave's array, as a local run of its own (runtime/call.py): its own
children run inside its job, concurrently, as flyte's local runs do, so a parent that gathers
batches that each loop over items makes one array of batches, not a job per item.
"""
from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from typing import Any

from hpcflow.errors import RuntimeUserError
from hpcflow.sdk.flyte2.action import CURRENT_ACTION, ActionID, TaskContext
from hpcflow.sdk.flyte2.children import ChildCall
from hpcflow.sdk.waves import active_recorder


@dataclass
class WaveRunner:
    """The ChildRunner of a root task's replay in a wave's job."""

    loop: asyncio.AbstractEventLoop
    run_name: str = ""
    calls: int = 0

    async def run(self, call: ChildCall) -> Any:
        """The child's value from an earlier wave; otherwise the call waits for the next wave."""
        self.calls += 1
        recorder = active_recorder()
        if recorder is None:
            raise RuntimeError("a wave runner runs only inside a replay (sdk/waves.py)")
        return await recorder.call(call.task, dict(call.inputs))


async def run_root_body(task: Any, inputs: dict[str, Any]) -> Any:
    """The root task's function on `inputs`, its child calls going to a WaveRunner. A sync root runs in
    a thread, as in a local run: each child call blocks it until a wave has answered the call."""
    runner = WaveRunner(asyncio.get_running_loop())
    token = CURRENT_ACTION.set(TaskContext(ActionID("a0"), task_name=task.name, runner=runner))
    try:
        if not task.is_async:
            return await _in_thread(task.func, inputs)
        value = task.func(**inputs)
        return await value if inspect.isawaitable(value) else value
    finally:
        CURRENT_ACTION.reset(token)


async def _in_thread(func: Any, inputs: dict[str, Any]) -> Any:
    """`func(**inputs)` in a thread. When the replay stops, it cancels the child call the thread is
    blocked on, and the thread ends with CallAbandoned (children.py): nothing outlives the replay."""
    return await asyncio.to_thread(func, **inputs)


def child_failed(entity: Any, error: str) -> Exception:
    """What a Flyte 2 parent gets at its await when a child of an earlier wave failed (as flyte raises it)."""
    code, _, message = error.partition(": ")
    return RuntimeUserError(code if message else "Error", message or error)
