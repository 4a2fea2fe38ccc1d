"""Hostile and broken input at the command line, as a user or a careless colleague would give it.

Each case is one row: how to set it up, the command, a piece of the one-line error (or of the
answer) and the exit status. None may print a traceback, hang (every command has a timeout) or
run a command of its own (the PWNED marker never appears).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from paths import ROOT

WF = "tests/workflows/hostile.py"
PROGRESS = re.compile(r"run \S+: \d+ job\(s\), directory ")
DEV = (ROOT / "site-configs" / "dev-cluster.toml").read_text()


def _site(tmp: Path, old: str, new: str) -> None:
    assert old in DEV
    (tmp / "site.toml").write_text(DEV.replace(old, new, 1))


def _task_file(tmp: Path, environment: str) -> None:
    (tmp / "envs.py").write_text(
        "from hpcflow import task, workflow\n"
        f"@task(environment={environment})\n"
        "def t(x: int) -> int:\n    return x\n"
        "@workflow\ndef wf(x: int) -> int:\n    return t(x=x)\n")


def _fifo_folder(tmp: Path) -> None:
    (tmp / "d").mkdir()
    (tmp / "d" / "a.txt").write_text("a")
    os.mkfifo(tmp / "d" / "pipe")


def _ran(hpcflow, tmp: Path) -> str:
    """A finished run of `plain`, its id."""
    res = hpcflow("run", f"{WF}:plain", "-i", "x=3", "--json")
    assert res.code == 0, res.stderr
    return res.json["run_id"]


def _damage(name: str, text: bytes) -> Callable:
    def setup(hpcflow, tmp: Path) -> None:
        run_id = _ran(hpcflow, tmp)
        runs = Path(os.environ["HPCFLOW_RUNS_DIR"])
        (runs / run_id / name).write_bytes(text)
        (tmp / "run_id").write_text(run_id)
        _ran(hpcflow, tmp)  # a second, healthy run: the damaged one must not hide it
    return setup


_finished = _damage("notes.txt", b"")  # two healthy runs, the first one's id in run_id


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    expect: str  # in the one stderr line (or, with code 0, in stdout)
    code: int = 1
    setup: Callable | None = None
    check: Callable[[Path, str], None] | None = field(default=None)


def _no_marker(tmp: Path, out: str) -> None:
    assert not (ROOT / "PWNED").exists() and not (tmp / "PWNED").exists()


def _no_folder(tmp: Path, out: str) -> None:
    assert not (tmp / "no").exists()  # refused, not made


CASES = [
    # 1: node names reach the shell
    Case("name-built-from-input", ("run", f"{WF}:named", "-i", 'samples=["x\\ntouch PWNED #"]'),
         "with_overrides(name=...) of node 'n0' (square): 'process x\\ntouch PWNED #' has '\\n'", check=_no_marker),
    # 2: environment variable names
    Case("env-name-with-command", ("run", "{tmp}/envs.py:wf", "-i", "x=1"),
         "task 't': environment variable 'FOO;touch PWNED;Y' has ';'",
         setup=lambda h, t: _task_file(t, '{"FOO;touch PWNED;Y": "v"}'), check=_no_marker),
    Case("env-name-two-variables", ("run", "{tmp}/envs.py:wf", "-i", "x=1"),
         "environment variable 'A=1 B' has '='", setup=lambda h, t: _task_file(t, '{"A=1 B": "z"}')),
    # 3: site values
    Case("site-account-newline", ("site", "show", "{tmp}/site.toml"), "key 'account': expected one word",
         setup=lambda h, t: _site(t, 'gpu_request', 'account = "proj\\nls -la"\ngpu_request')),
    Case("site-qos-space", ("site", "show", "{tmp}/site.toml"), "key 'qos.normal': expected one word",
         setup=lambda h, t: _site(t, 'normal = "normal"', 'normal = "nor mal"')),
    Case("site-partition-newline", ("site", "show", "{tmp}/site.toml"), "expected a partition name without spaces",
         setup=lambda h, t: _site(t, "[partitions.cpu]", '[partitions."cpu\\necho x"]')),
    Case("site-directive-newline", ("site", "show", "{tmp}/site.toml"), "key 'extra_directives[0]'",
         setup=lambda h, t: _site(t, 'gpu_request', 'extra_directives = ["--exclusive\\n--dependency=x"]\ngpu_request')),
    Case("site-directive-not-option", ("site", "show", "{tmp}/site.toml"), "which is not an option",
         setup=lambda h, t: _site(t, 'gpu_request', 'extra_directives = ["touch x"]\ngpu_request')),
    Case("site-nan", ("site", "show", "{tmp}/site.toml"), "key 'poll_interval': expected a finite number",
         setup=lambda h, t: _site(t, "poll_interval = 0.5", "poll_interval = nan")),
    Case("site-inf", ("site", "show", "{tmp}/site.toml"), "key 'time_margin': expected a finite number",
         setup=lambda h, t: _site(t, "time_margin = 60", "time_margin = inf")),
    Case("site-not-utf8", ("site", "show", "{tmp}/site.toml"), "not UTF-8 text",
         setup=lambda h, t: (t / "site.toml").write_bytes(b'name = "\xff"\n')),
    Case("site-runs-dir-newline", ("site", "show", "{tmp}/site.toml"), "key 'runs_dir': expected one line",
         setup=lambda h, t: _site(t, 'runs_dir = "/var/tmp/hpcflow-$USER/runs"', 'runs_dir = "/tmp/r\\nx"')),
    # 8: hangs
    Case("file-dev-zero", ("run", f"{WF}:sized", "-i", "f=/dev/zero"), "/dev/zero is not a regular file"),
    Case("fifo-in-directory", ("run", f"{WF}:counted", "-i", "d={tmp}/d"), "pipe is not a regular file",
         setup=lambda h, t: _fifo_folder(t)),
    Case("map-concurrency-override", ("run", f"{WF}:map_concurrency", "-i", "xs=[1,2]"),
         "concurrency=-1 must be a whole number >= 1"),
    Case("map-batch-override", ("run", f"{WF}:map_batch", "-i", "xs=[1,2]"), "batch_size=-2 must be a whole number"),
    Case("map-ratio-override", ("run", f"{WF}:map_ratio", "-i", "xs=[1,2]"), "min_success_ratio=7 must be a number"),
    # 7: raw tracebacks
    Case("file-missing", ("run", f"{WF}:sized", "-i", "f=/no/such/file"), "/no/such/file: no such file"),
    Case("file-is-folder", ("run", f"{WF}:sized", "-i", "f={tmp}"), "is a folder, not a file"),
    Case("i-many-digits", ("run", f"{WF}:plain", "-i", "x=" + "9" * 5000), "-i x: Exceeds the limit"),
    Case("i-deep-nesting", ("run", f"{WF}:plain", "-i", "x=" + "[" * 50000), "nested more than 100 levels"),
    Case("i-deep-but-valid", ("run", f"{WF}:plain", "-i", "x=" + "[" * 500 + "]" * 500), "nested more than 100"),
    Case("sys-exit-on-import", ("run", "{tmp}/bye.py:wf"), "it called sys.exit(None) while being imported",
         setup=lambda h, t: (t / "bye.py").write_text("import sys\nsys.exit()\n")),
    Case("runs-dir-impossible", ("run", f"{WF}:plain", "-i", "x=1", "--runs-dir", "/proc/hpcflow-runs"),
         "/proc/hpcflow-runs: No such file or directory"),
    Case("damaged-run-json-runs", ("runs",), "DAMAGED", code=0, setup=_damage("run.json", b"")),
    Case("damaged-state-json", ("status", "{run_id}"), "state.json is damaged", setup=_damage("state.json", b'{"a":')),
    Case("damaged-outputs-json", ("outputs", "{run_id}"), "outputs.json is damaged (a JSON list",
         setup=_damage("outputs.json", b"[1]")),
    Case("damaged-plan-json", ("status", "{run_id}"), "plan.json is damaged", setup=_damage("plan.json", b"\xff\xfe")),
    # 9: misleading answers
    Case("logs-index-too-high", ("logs", "{run_id}", "n0[999]"), "has no element 'n0[999]': n0 has elements 0..0",
         setup=_finished),
    Case("logs-index-negative", ("logs", "{run_id}", "n0[-1]"), "has no element 'n0[-1]'", setup=_finished),
    Case("explain-index-too-high", ("cache", "explain", "{run_id}", "n0[999]"), "has no element 'n0[999]'",
         setup=_finished),
    Case("report-into-missing-folder", ("report", "{run_id}", "-o", "{tmp}/no/such/folder/report.html"),
         "/no/such/folder does not exist; create it", setup=_finished, check=_no_folder),
    Case("gc-empty-age", ("cache", "gc", "--older-than", ""), "age '' is not understood"),
    Case("gc-empty-size", ("cache", "gc", "--max-size", ""), "--max-size '' is not a size"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_cli_input(case: Case, hpcflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if case.setup:
        case.setup(hpcflow, tmp_path)
    run_id = (tmp_path / "run_id").read_text() if (tmp_path / "run_id").exists() else ""
    args = [a.replace("{tmp}", str(tmp_path)).replace("{run_id}", run_id) for a in case.args]
    res = hpcflow(*args, timeout=120)
    assert "Traceback" not in res.stderr + res.stdout, res.stderr
    assert res.code == case.code, (res.code, res.stderr)
    if case.code:  # one error line, after at most the line that says where the run is
        lines = [line for line in res.stderr.strip().splitlines() if not PROGRESS.match(line)]
        assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
        assert case.expect in lines[0], lines[0]
    else:
        assert case.expect in res.stdout, res.stdout
    if case.check:
        case.check(tmp_path, res.stdout)


def test_a_damaged_run_hides_no_other_run(hpcflow, tmp_path: Path):
    _damage("run.json", b"{")(hpcflow, tmp_path)
    res = hpcflow("runs")
    assert res.code == 0 and res.stdout.count("SUCCEEDED") == 1 and "DAMAGED" in res.stdout, res.stdout + res.stderr


def test_a_cache_path_that_is_a_file_is_refused(hpcflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "cachefile").write_text("")
    monkeypatch.setenv("HPCFLOW_CACHE_DIR", str(tmp_path / "cachefile"))
    res = hpcflow("cache", "gc", "--older-than", "1d")
    assert res.code == 1 and "is a file, not a folder" in res.stderr, res.stderr


def test_a_relative_runs_dir_is_recorded_absolute(hpcflow, tmp_path: Path, runs_dir: Path):
    res = hpcflow("run", f"{WF}:plain", "-i", "x=2", "--json", "--runs-dir", os.path.relpath(tmp_path / "rel", ROOT))
    assert res.code == 0, res.stderr
    meta = json.loads((tmp_path / "rel" / res.json["run_id"] / "run.json").read_text())
    assert Path(meta["file"]).is_absolute()
    index = json.loads(next((tmp_path / "home" / "index").glob("*.json")).read_text())
    assert Path(index["path"]).is_absolute() and Path(index["path"]).exists()


@pytest.mark.parametrize("given", ["/dev/zero", "/no/such/file", "{tmp}"])
def test_a_bad_file_input_leaves_no_run_behind(given: str, hpcflow, tmp_path: Path, runs_dir: Path):
    res = hpcflow("run", f"{WF}:sized", "-i", f"f={given.replace('{tmp}', str(tmp_path))}")
    assert res.code != 0 and res.stderr.strip().startswith("error: task 'file_size', input 'f': "), res.stderr
    assert not runs_dir.exists() or not any(runs_dir.iterdir())
    assert hpcflow("runs", "--json").json == {"runs": [], "damaged": []}
