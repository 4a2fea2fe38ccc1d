"""Cache keys: the task's identity and version, its source fingerprint, and its inputs' hashes."""
from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping

from hpcflow.store.hashing import digest, value_digests
from hpcflow.core.plan import JobPlan


@dataclass(frozen=True)
class CacheKey:
    """The parts of a cache key, kept so that `hpcflow cache explain` can say which one changed."""

    task: str
    version: str
    source: str
    inputs: tuple[tuple[str, str], ...]

    @property
    def digest(self) -> str:
        """The key itself: a hash of all its parts (NUL-separated; no part contains NUL)."""
        fields = [self.task, self.version, self.source, *(f"{n}={h}" for n, h in self.inputs)]
        return digest("\0".join(fields).encode())

    def to_json(self) -> dict[str, Any]:
        """A JSON object of the parts."""
        return {**asdict(self), "inputs": dict(self.inputs)}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "CacheKey":
        """The parts back from JSON."""
        return cls(obj["task"], obj["version"], obj["source"], tuple(sorted(obj["inputs"].items())))


@lru_cache(maxsize=None)
def source_fingerprint(fn: Callable[..., Any]) -> str:
    """A hash of the function's code without its decorators, comments or formatting.

    Editing the body invalidates the cache (flytekit keys on cache_version alone, and its users
    trip on stale results); changing only @task options or comments does not.
    """
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
        func = next(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        func.decorator_list = []
        return digest(ast.unparse(func).encode())
    except (OSError, TypeError, StopIteration, SyntaxError):
        return digest(fn.__code__.co_code)  # no source on disk: fall back to the bytecode


def code_fingerprint(task: Any) -> str:
    """A task's code: its function's source_fingerprint; a ShellTask's, its script (not the function running it)."""
    own = getattr(task, "code_fingerprint", None)
    return own() if own else source_fingerprint(task.fn)


def cache_key(task: Any, job: JobPlan, inputs: Mapping[str, Any]) -> CacheKey:
    """The key of one element of a cached job."""
    return key_of(f"{job.entity.module}.{job.entity.qualname}", job.cache_version, task, inputs,
                  job.cache_ignore_input_vars)


def call_key(task: Any, spec: Any, inputs: Mapping[str, Any]) -> CacheKey:
    """The key of an in-process call of a task with its (possibly overridden) TaskSpec: the same
    as the key of that element in a run, so either finds what the other computed."""
    return key_of(f"{task.module}.{task.qualname}", spec.cache_version, task, inputs, spec.cache_ignore_input_vars)


def key_of(name: str, version: str, task: Any, inputs: Mapping[str, Any], ignore: tuple[str, ...]) -> CacheKey:
    """A task's key from its dotted name, cache_version, source (unless its spec says not to
    fingerprint it) and the hashes of its inputs but the ignored ones."""
    source = code_fingerprint(task) if task.spec.cache_fingerprint_source else ""
    hashed = tuple(sorted(value_digests({n: v for n, v in inputs.items() if n not in ignore}).items()))
    return CacheKey(name, version, source, hashed)
