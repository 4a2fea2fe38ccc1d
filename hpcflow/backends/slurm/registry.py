"""Which Slurm ids stand for each plan job, and which pending jobs wait on which plan jobs.

A job that expands at run time (a dynamic, or a map sized by an upstream output) adds the
ids it submits to its gate; jobs waiting on it get their --dependency rewritten with
`scontrol update` before the expanding job exits, so no process ever waits. Read and
written only under the run's lease.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpcflow.core.directives import Dependency
from hpcflow.core.plan import DependencyKind
from hpcflow.runtime.rundir import RunDir
from hpcflow.store import atomic
from hpcflow.store.lease import Lease

Ref = str  # "<run dir relative to the root>|<job id>"


@dataclass(frozen=True)
class WaitEdge:
    """A pending Slurm job waits on the gate of `ref` with dependency `kind`."""

    ref: Ref
    kind: DependencyKind


@dataclass
class Registry:
    """Gates (ids per plan job), aliases (a dynamic's sub-run sinks) and waiting jobs."""

    root: Path
    gates: dict[Ref, list[int]] = field(default_factory=dict)
    aliases: dict[Ref, list[Ref]] = field(default_factory=dict)
    waiting: dict[str, list[WaitEdge]] = field(default_factory=dict)  # pending Slurm id -> what it waits on
    submitted: list[int] = field(default_factory=list)  # every id submitted for the run, for sacct
    # elements an element's own job resubmitted (recover.py): every waiter waits on them to
    # succeed (to end, past a map that tolerates failures), whatever its edge's kind
    resubmitted: dict[Ref, list[int]] = field(default_factory=dict)
    # windowed maps (windows.py): the array tasks of the window in the queue, and the next task
    windows: dict[Ref, dict[str, Any]] = field(default_factory=dict)
    _runs: dict[str, RunDir] = field(default_factory=dict, repr=False, compare=False)

    @staticmethod
    def lease(root: RunDir) -> Lease:
        """The lease that guards the registry of a run."""
        return Lease(root.root_path / "slurm" / "lock")

    @classmethod
    def load(cls, rd: RunDir) -> "Registry":
        """Read the registry of the run `rd` belongs to (empty when nothing was submitted yet);
        questions about `rd`'s own jobs are answered from `rd` (its plan is not read again)."""
        obj = atomic.read_json(rd.root_path / "slurm" / "registry.json", {})
        waiting = {jid: [WaitEdge(r, k) for r, k in edges] for jid, edges in obj.get("waiting", {}).items()}
        return cls(rd.root_path, obj.get("gates", {}), obj.get("aliases", {}), waiting, obj.get("submitted", []),
                   obj.get("resubmitted", {}), obj.get("windows", {}),
                   {os.path.relpath(rd.path.resolve(), rd.root_path): rd})

    def save(self) -> None:
        """Publish the registry."""
        atomic.write_json(self.root / "slurm" / "registry.json",
                          {"gates": self.gates, "aliases": self.aliases,
                           "waiting": {jid: [[e.ref, e.kind] for e in edges] for jid, edges in self.waiting.items()},
                           "submitted": self.submitted, "resubmitted": self.resubmitted, "windows": self.windows})

    def ref(self, rd: RunDir, job_id: str) -> Ref:
        """The registry key of a job of run directory `rd`."""
        return f"{os.path.relpath(rd.path.resolve(), self.root)}|{job_id}"

    def resolve(self, ref: Ref) -> list[int]:
        """Every Slurm id that must succeed for `ref`'s outputs to be complete."""
        ids = list(self.gates.get(ref, []))
        for alias in self.aliases.get(ref, []):
            ids += self.resolve(alias)
        return ids

    def resubmissions(self, ref: Ref) -> list[int]:
        """The ids of elements of `ref` (and of what it stands for) that their own jobs resubmitted."""
        ids = list(self.resubmitted.get(ref, []))
        for alias in self.aliases.get(ref, []):
            ids += self.resubmissions(alias)
        return ids

    def reaches(self, ref: Ref, target: Ref) -> bool:
        """True when `ref` is `target` or stands (through aliases) for it."""
        return ref == target or any(self.reaches(a, target) for a in self.aliases.get(ref, []))

    def dependency(self, edges: list[WaitEdge], skip_finished: bool = False) -> Dependency:
        """The --dependency for a job waiting on these refs.

        With `skip_finished`, refs whose elements all finished well are left out: Slurm forgets
        finished jobs after MinJobAge, and naming a forgotten job makes `scontrol update` fail.
        """
        by_kind: dict[str, list[int]] = {"afterok": [], "aftercorr": [], "afterany": []}
        for edge in edges:
            if skip_finished and self.finished_well(edge.ref):
                continue
            by_kind[edge.kind] += self.resolve(edge.ref)
            by_kind["afterany" if edge.kind == "afterany" else "afterok"] += self.resubmissions(edge.ref)
        return Dependency(*(tuple(dict.fromkeys(by_kind[k])) for k in ("afterok", "aftercorr", "afterany")))

    def finished_well(self, ref: Ref) -> bool:
        """True when the run directory shows every element of `ref` (and of what it stands for) succeeded."""
        run, _, job_id = ref.rpartition("|")
        return self._run_dir(run).all_done(job_id) and all(self.finished_well(a) for a in self.aliases.get(ref, []))

    def _run_dir(self, run: str) -> RunDir:
        """One RunDir per (sub-)run, so its plan is read once per registry, not once per question."""
        if run not in self._runs:
            self._runs[run] = RunDir(self.root / run)
        return self._runs[run]

    def waiting_on(self, target: Ref) -> dict[str, list[WaitEdge]]:
        """The pending jobs whose dependencies include `target`."""
        return {jid: edges for jid, edges in self.waiting.items() if any(self.reaches(e.ref, target) for e in edges)}

    def all_ids(self) -> list[int]:
        """Every Slurm id recorded."""
        return sorted({i for ids in [*self.gates.values(), *self.resubmitted.values()] for i in ids} | set(self.submitted))


def new_window(tasks: list[int], size: int) -> dict[str, object]:
    """The registry's record of a window just submitted: its tasks, the next task, the windows'
    size, and a token that names its claim file (so a resumed run's windows never meet an old claim)."""
    return {"tasks": tasks, "next": tasks[-1] + 1, "size": size, "token": secrets.token_hex(6)}
