"""Bad input at the command line: one line on stderr, a non-zero exit, nothing lost."""
from __future__ import annotations

from pathlib import Path


def _one_error_line(res) -> str:
    assert res.code != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    return lines[0]


def test_workflow_file_that_does_not_import(hpcflow, tmp_path: Path):
    broken = tmp_path / "broken.py"
    broken.write_text("from hpcflow import task\n\n@task\ndef f(x: int) -> int\n    return x\n")
    assert "SyntaxError at line 4" in _one_error_line(hpcflow("run", f"{broken}:wf"))
    raising = tmp_path / "raising.py"
    raising.write_text("import no_such_module_here\n")
    assert "ModuleNotFoundError" in _one_error_line(hpcflow("run", f"{raising}:wf"))
    assert "no such file" in _one_error_line(hpcflow("run", "examples/nope.py:wf"))
    assert "expected FILE.py:WORKFLOW" in _one_error_line(hpcflow("run", "examples/mean.py"))


def test_missing_workflow_name_lists_the_ones_there(hpcflow):
    line = _one_error_line(hpcflow("run", "examples/nested_parallelism.py:nope"))
    assert "no workflow 'nope'" in line and "chunked_sum_of_squares, sum_of_squares" in line
    line = _one_error_line(hpcflow("run", "examples/nested_parallelism.py:square"))
    assert "not a @workflow" in line


def test_unparsable_and_mistyped_inputs(hpcflow, runs_dir: Path):
    line = _one_error_line(hpcflow("run", "examples/nested_parallelism.py:sum_of_squares", "-i", "xs=[1,2"))
    assert "input 'xs': expected list[int]" in line and "not valid JSON" in line
    line = _one_error_line(hpcflow("run", "examples/nested_parallelism.py:sum_of_squares", "-i", 'xs=["a"]'))
    assert "expected int, got 'a'" in line
    assert "NAME=VALUE" in _one_error_line(hpcflow("run", "examples/mean.py:mean_wf", "-i", "n"))
    line = _one_error_line(hpcflow("run", "examples/mean.py:mean_wf", "-i", "m=3"))
    assert "no input 'm'; its inputs are: n, seed" in line
    assert "given twice" in _one_error_line(hpcflow("run", "examples/mean.py:mean_wf", "-i", "n=1", "-i", "n=2"))
    assert not runs_dir.exists() or not any(runs_dir.iterdir()), "a rejected run leaves no run directory"


def test_compile_errors_reach_the_cli(hpcflow, tmp_path: Path):
    wf = tmp_path / "typo.py"
    wf.write_text("from hpcflow import task, workflow\n\n@task\ndef inc(x: int) -> int:\n    return x + 1\n\n"
                  "@workflow\ndef wf(s: str) -> int:\n    return inc(x=s)\n")
    line = _one_error_line(hpcflow("run", f"{wf}:wf", "-i", "s=a"))
    assert "workflow 'wf', node 'n0' (inc), parameter 'x': expected int, got a promise of str" in line


def test_status_outputs_runs_and_logs(hpcflow):
    res = hpcflow("run", "examples/nested_parallelism.py:sum_of_squares", "-i", "xs=[1,2,3]", "--json")
    run_id = res.json["run_id"]
    assert hpcflow("outputs", run_id, "--json").json == res.json
    assert run_id in hpcflow("runs").stdout
    status = hpcflow("status", run_id)
    assert status.code == 0 and "map_square" in status.stdout and "succeeded=3" in status.stdout
    assert "no run 'nope'" in _one_error_line(hpcflow("status", "nope"))
    assert "has no element 'n9[0]'" in _one_error_line(hpcflow("logs", run_id, "n9[0]"))


def test_pyflyte_run_form_gives_the_same_answer_as_the_i_form(hpcflow):
    """`pyflyte run file.py wf --n 3` is how flytekit users start runs: the same flags work here."""
    flags = hpcflow("run", "examples/partitioned_mean.py", "partitioned_mean", "--n", "1000000", "--parts", "8", "--json")
    given = hpcflow("run", "examples/partitioned_mean.py:partitioned_mean", "-i", "n=1000000", "-i", "parts=8", "--json")
    assert flags.code == 0 and given.code == 0, flags.stderr + given.stderr
    assert flags.json["outputs"] == given.json["outputs"] and abs(flags.json["outputs"]["o0"] - 50.0) < 0.1
    mixed = hpcflow("run", "examples/nested_parallelism.py:sum_of_squares", "--xs=[1, 2, 3]", "--json")
    assert mixed.code == 0 and mixed.json["outputs"] == {"o0": 14}, mixed.stderr


def test_help_after_the_workflow_lists_its_inputs_with_types_and_defaults(hpcflow):
    res = hpcflow("run", "examples/partitioned_mean.py", "partitioned_mean", "--help")
    assert res.code == 0, res.stderr
    assert "Inputs of workflow 'partitioned_mean'" in res.stdout
    assert [line.split()[:2] for line in res.stdout.splitlines() if line.startswith("  --n ")] == [["--n", "int"]]
    assert "[default: 8]" in res.stdout and " run [OPTIONS] FILE.py:WORKFLOW" in res.stdout
    assert " submit [OPTIONS] FILE.py:WORKFLOW" in hpcflow("submit", "--help").stdout


def test_bad_workflow_flags_are_one_line_errors(hpcflow):
    target = ("examples/partitioned_mean.py", "partitioned_mean")
    assert "--n needs a value" in _one_error_line(hpcflow("run", *target, "--n"))
    assert "no input 'nn'" in _one_error_line(hpcflow("run", *target, "--nn", "3"))
    assert "expected a workflow input as --NAME VALUE, got '3'" in _one_error_line(hpcflow("run", *target, "3"))
    assert "given both as -i and as --n" in _one_error_line(hpcflow("run", *target, "--n", "3", "-i", "n=4"))
    assert "missing FILE.py:WORKFLOW" in _one_error_line(hpcflow("run"))
