"""In-process calls of cached tasks use the same cache, with the same keys, as `hpcflow run`
(flytekit caches local executions too: "Caching works both locally and on a Flyte backend")."""
from __future__ import annotations

import textwrap
from pathlib import Path

from hpcflow.loader import load_file


def _module(tmp_path: Path, name: str):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent('''
        from hpcflow import map_task, task, workflow

        CALLS = []

        @task(cache=True, cache_version="1")
        def slow_square(x: int) -> int:
            CALLS.append(x)
            return x * x

        @task(cache=True, cache_version="1", cache_ignore_input_vars=["note"])
        def noted(x: int, note: str) -> int:
            CALLS.append(x)
            return x + 1

        @workflow
        def squares(xs: list[int]) -> list[int]:
            return map_task(slow_square)(x=xs)

        @workflow
        def with_note(x: int, note: str) -> int:
            return noted(x=x, note=note)
    '''))
    return load_file(str(path), name)


def test_a_second_in_process_call_does_not_run_the_cached_body(tmp_path):
    m = _module(tmp_path, "local_cache_a")
    assert m.squares(xs=[1, 2, 3]) == [1, 4, 9] and sorted(m.CALLS) == [1, 2, 3]
    assert m.squares(xs=[1, 2, 3, 4]) == [1, 4, 9, 16] and sorted(m.CALLS) == [1, 2, 3, 4]  # only 4 is new
    assert m.slow_square(x=2) == 4 and len(m.CALLS) == 4  # a task called directly shares the entries
    assert m.with_note(x=5, note="a") == 6 and m.with_note(x=5, note="b") == 6 and m.CALLS.count(5) == 1


def test_in_process_calls_and_hpcflow_run_find_each_others_entries(tmp_path, hpcflow, monkeypatch):
    m = _module(tmp_path, "local_cache_b")
    assert m.squares(xs=[7, 8]) == [49, 64] and len(m.CALLS) == 2
    res = hpcflow("run", f"{tmp_path / 'local_cache_b.py'}:squares", "-i", "xs=[7, 8, 9]", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": [49, 64, 81]}, res.stderr
    status = hpcflow("status", res.json["run_id"], "--json").json
    assert status["jobs"][0]["counts"] == {"CACHED": 2, "SUCCEEDED": 1}, status
    m.CALLS.clear()
    assert m.squares(xs=[9]) == [81] and m.CALLS == []  # what the run computed
