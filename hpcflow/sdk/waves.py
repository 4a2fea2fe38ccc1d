"""Parents that await children (flytekit's @eager), run by a scheduler in waves, with nothing left waiting.

A parent's body runs until every one of its coroutines waits on a child that has not run. The
children it is waiting on become the next wave: one array per task (1,000 gathered calls of one
task are one map, one sbatch), and after them the parent's continuation, a dynamic node that
waits on them (afterok) and replays the body from the start. Replayed child calls are answered
from the results of earlier waves, matched as @trace matches its calls: by task, by the content
hash of the inputs, and by how many identical calls came before. The parent's code must therefore
be deterministic between waves (as Flyte's traces assume): the same inputs make the same calls.
No job waits on another; the continuation is queued behind its children, like any dependent.

The wave is built as a sub-workflow of a dynamic node, so everything that runs dynamics (the
local backend, Slurm, resume, status) runs waves too.
"""
from __future__ import annotations

import asyncio
import contextvars
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from hpcflow.core.graph import Graph
from hpcflow.core.trace import ACTIVE_BUILDER, Builder
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.exceptions.eager import EagerException
from hpcflow.sdk.body import traced
from hpcflow.sdk.spec import TaskSpec
from hpcflow.store.hashing import value_digests
from hpcflow.types.interface import Interface, Param

KNOWN, WAVE_KEYS, WAVE = "hpcflow_known", "hpcflow_wave_keys", "hpcflow_wave"  # the continuation's own inputs
QUIET_ROUNDS = 20  # loop turns with no new call before a body that waits only on children counts as blocked
RECORDER: contextvars.ContextVar["Recorder | None"] = contextvars.ContextVar("hpcflow_waves", default=None)


# The runtime sets this while a continuation expands: the error of element i of node (of the wave
# that just ran), or None when it succeeded (the sdk does not read run directories itself)
ELEMENT_ERROR: contextvars.ContextVar[Callable[[str, int], "str | None"] | None] = contextvars.ContextVar(
    "hpcflow_element_error", default=None)


FAILED = "$hpcflow_child_failed"  # what a known result holds for a child that failed: {FAILED: its error}


@dataclass
class ChildCall:
    """One call a parent's body made of a task, by its key (task, inputs' hash, occurrence)."""

    key: str
    entity: Any
    inputs: dict[str, Any]


@dataclass
class Recorder:
    """Answers a replay's child calls from earlier waves' results, and records the others."""

    known: Mapping[str, Any]
    failure: Callable[[Any, str], Exception] | None = None  # what a failed child raises at its await
    pending: list[ChildCall] = field(default_factory=list)
    seen: Counter = field(default_factory=Counter)
    answered: int = 0
    used: set[str] = field(default_factory=set)

    def not_called_again(self) -> list[str]:
        """Known calls this replay did not make: the body is not deterministic between waves."""
        return [key for key in self.known if key not in self.used]

    def key(self, entity: Any, inputs: Mapping[str, Any]) -> str:
        digests = value_digests(dict(inputs))
        base = f"{entity.module}.{entity.qualname}:" + ",".join(f"{k}={digests[k]}" for k in sorted(digests))
        self.seen[base] += 1
        return f"{base}#{self.seen[base]}"

    async def call(self, entity: Any, inputs: dict[str, Any]) -> Any:
        key = self.key(entity, inputs)
        if key in self.known:
            self.answered += 1
            self.used.add(key)
            answer = self.known[key]
            if isinstance(answer, dict) and set(answer) == {FAILED}:  # as in-process: it arrives at the await
                if self.failure is not None:
                    raise self.failure(entity, answer[FAILED])
                raise EagerException(f"{entity.kind} '{entity.name}' failed inside an @eager workflow: {answer[FAILED]}")
            return answer
        if not any(c.key == key for c in self.pending):
            self.pending.append(ChildCall(key, entity, inputs))
        return await asyncio.get_running_loop().create_future()  # answered by the next wave, never in this one


def active_recorder() -> Recorder | None:
    """The recorder of the replay running now, if any (sdk/eager.py routes child calls to it)."""
    return RECORDER.get()


@dataclass
class Outcome:
    """What one replay of a parent gave: its outputs when it finished, else the calls it waits on."""

    done: bool
    result: Any = None
    pending: list[ChildCall] = field(default_factory=list)


class NondeterministicBody(WorkflowDefinitionError):
    """A parent's replay did not make the calls it made in an earlier wave."""


def replay(body: Any, inputs: dict[str, Any], known: Mapping[str, Any], where: str = "the parent",
           failure: Callable[[Any, str], Exception] | None = None) -> Outcome:
    """Run `body(**inputs)` (a coroutine function) with child calls answered from `known`."""
    recorder = Recorder(known, failure)

    async def drive() -> Outcome:
        main = asyncio.ensure_future(body(**inputs))
        quiet, last = 0, (0, 0)
        while not main.done():
            await asyncio.sleep(0)
            now = (len(recorder.pending), recorder.answered)
            quiet = quiet + 1 if now == last else 0
            last = now
            if recorder.pending and quiet >= QUIET_ROUNDS:  # blocked on children: they are the next wave
                main.cancel()
                return Outcome(False, pending=list(recorder.pending))
            if not recorder.pending and quiet >= QUIET_ROUNDS:
                await asyncio.sleep(0.01)  # the body awaits something else (I/O, a timer): let it
        return Outcome(True, result=main.result())

    token = RECORDER.set(recorder)
    try:
        outcome = asyncio.run(drive())
    finally:
        RECORDER.reset(token)
    missing = recorder.not_called_again()
    if missing and (outcome.done or outcome.pending):
        what = missing[0].split(":")[0].rsplit(".", 1)[-1]
        raise NondeterministicBody(
            f"{where}: replayed after a wave, it did not call task '{what}' again with the inputs of an earlier "
            f"wave ({len(missing)} such call(s)), and called {len(outcome.pending)} new one(s): the body is replayed "
            "after every wave, so given the same inputs and child results it must make the same calls (move "
            "what varies, such as the time or randomness, into a task)")
    return outcome


class Continuation:
    """The dynamic node that replays a parent after a wave: the parent's inputs, the results known
    so far, and the wave's results as map outputs (which make it wait on them)."""

    kind = "dynamic"

    def __init__(self, parent: Any):
        self.parent = parent
        self.name: str = parent.name
        self.module: str = parent.module
        self.qualname: str = f"{parent.qualname}.continuation"  # resolve_entity finds it as an attribute
        self.spec = TaskSpec()
        self._interface: Interface | None = None

    @property
    def interface(self) -> Interface:
        """The parent's interface with the continuation's own inputs after its own."""
        if self._interface is None:
            own = self.parent.interface
            extra = (Param(KNOWN, dict, {}), Param(WAVE_KEYS, list, []), Param(WAVE, list, []))
            self._interface = Interface(own.inputs + extra, own.outputs, own.output_kind, own.output_class)
        return self._interface

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from hpcflow.core.trace import ACTIVE_BUILDER

        builder = ACTIVE_BUILDER.get()
        if builder is None:
            raise WorkflowDefinitionError(f"the continuation of '{self.name}' runs only as a node of a wave")
        return builder.add_call(self.kind, self, args, kwargs, self.interface)

    def trace(self, inputs: Mapping[str, Any]) -> Graph:
        """Replay the parent with what is known now; the next wave (or the final outputs) as a Graph."""
        inputs = dict(inputs)
        known = dict(inputs.pop(KNOWN) or {})
        groups, results = inputs.pop(WAVE_KEYS) or [], inputs.pop(WAVE) or []
        failed = ELEMENT_ERROR.get()
        for (keys, outputs, node), columns in zip(groups, _columns(groups, results)):
            for i, key in enumerate(keys):
                error = failed(node, i) if node and failed is not None else None
                known[key] = {FAILED: error} if error else self._child_value(outputs, columns, i)
        return wave_graph(self.parent, self, inputs, known)

    @staticmethod
    def _child_value(outputs: list[str], columns: list[list[Any]], i: int) -> Any:
        values = [column[i] for column in columns]
        return values[0] if len(outputs) == 1 else tuple(values)

    def __repr__(self) -> str:
        return f"<continuation of {self.parent!r}>"


def _columns(groups: list, results: list) -> list[list[list[Any]]]:
    """The wave's flat list of map outputs, regrouped per child task: one column per output."""
    columns, at = [], 0
    for _keys, outputs, _node in groups:
        columns.append(results[at:at + len(outputs)])
        at += len(outputs)
    return columns


def wave_graph(parent: Any, continuation: Continuation, inputs: dict[str, Any], known: dict[str, Any]) -> Graph:
    """Replay `parent` and give the Graph to run next: the children it waits on, one map per task,
    then its continuation; or, when it finished, a Graph with only its outputs."""
    where = f"{'@eager' if parent.kind == 'eager' else 'task'} '{parent.name}'"
    outcome = replay(parent.run_body, inputs, known, where, getattr(parent, "child_failed", None))
    if outcome.done:
        return traced(Builder(where), parent.name, lambda **_: outcome.result, parent.interface, inputs)
    from hpcflow.sdk.map_task import map_task  # the sdk's own: a wave's children are a map per task

    def body(**given: Any) -> Any:
        by_task: dict[str, list[ChildCall]] = {}
        for call in outcome.pending:
            by_task.setdefault(f"{call.entity.module}.{call.entity.qualname}", []).append(call)
        groups, wave = [], []
        for calls in by_task.values():
            entity = calls[0].entity
            outputs = list(entity.interface.output_names)
            if not outputs:
                raise WorkflowDefinitionError(f"{where} awaits {entity.kind} '{entity.name}', which has no outputs: "
                                              "on a scheduler an @eager workflow's children must return a value")
            node = ""
            if entity.kind == "task":  # one array for all of the wave's calls of the task
                names = entity.interface.input_names
                # every element may fail without failing the wave: the body gets the failure at its await
                mapped = map_task(entity, min_success_ratio=0.0)(**{n: [c.inputs[n] for c in calls] for n in names})
                node = ACTIVE_BUILDER.get().last_node_id
                wave.extend([mapped] if len(outputs) == 1 else list(mapped))
            elif entity.kind in ("eager", "workflow"):  # a node each: an @eager child runs in waves of its own
                made = [(entity.continuation if entity.kind == "eager" else entity)(**c.inputs) for c in calls]
                columns = [made] if len(outputs) == 1 else [list(col) for col in zip(*made)]
                wave.extend(columns)
            else:
                raise WorkflowDefinitionError(f"{where} awaits {entity.kind} '{entity.name}'; on a scheduler it may "
                                              "await tasks, workflows and @eager workflows")
            groups.append([[c.key for c in calls], outputs, node])
        return continuation(**given, **{KNOWN: known, WAVE_KEYS: groups, WAVE: wave})

    return traced(Builder(where), parent.name, body, parent.interface, inputs)
