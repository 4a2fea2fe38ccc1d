"""hpcflow.submit / Run from Python, as a notebook on a login node uses them: the same outputs as
`hpcflow submit --wait --json`, and Run.attach from a second process."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

from slurm_helpers import ROOT

SUBMIT = textwrap.dedent(f'''
    import json, sys
    sys.path.insert(0, "{ROOT / 'examples'}")
    import hpcflow
    from partitioned_mean import partitioned_mean

    run = hpcflow.submit(partitioned_mean, site="dev-cluster", n=2000, parts=4, seed=int(sys.argv[1]))
    assert run.job_ids and run.status().state.value in ("PENDING", "RUNNING", "SUCCEEDED"), run.status()
    print(json.dumps({{"run_id": run.run_id}}))
''')

ATTACH = textwrap.dedent('''
    import json, sys
    import hpcflow

    run = hpcflow.Run.attach(sys.argv[1])
    view = run.wait(timeout=600)
    assert "Traceback" not in run.logs("n3", 0)
    print(json.dumps({"state": view.state.value, "outputs": run.outputs()}))
''')


def _python(code: str, *args: str) -> dict:
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_submit_wait_and_outputs_from_python_match_the_cli_and_attach_works_elsewhere(hpcflow, slurm_env):
    seed = str(time.time_ns() % 10**9)  # inputs no earlier run had: its jobs really run
    submitted = _python(SUBMIT, seed)
    attached = _python(ATTACH, submitted["run_id"])  # a second process, as from another notebook
    cli = hpcflow("submit", f"{ROOT}/examples/partitioned_mean.py:partitioned_mean", "--site", "dev-cluster",
                  "-i", "n=2000", "-i", "parts=4", "-i", f"seed={seed}", "--wait", "--json")
    assert cli.code == 0, cli.stderr
    assert attached["state"] == "SUCCEEDED" and attached["outputs"] == cli.json["outputs"]


def test_python_api_errors_say_what_to_do(slurm_env):
    code = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, "{ROOT / 'examples'}")
        import hpcflow
        from partitioned_mean import partitioned_mean
        for call in (lambda: hpcflow.submit(partitioned_mean, site="dev-cluster", nn=3),
                     lambda: hpcflow.submit(print, site="dev-cluster"),
                     lambda: hpcflow.Run.attach("no-such-run")):
            try:
                call()
            except hpcflow.HpcflowError as exc:
                print(exc)
    ''')
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = res.stdout.strip().splitlines()
    assert res.returncode == 0 and len(lines) == 3, res.stdout + res.stderr
    assert "no input 'nn'" in lines[0] and "defined in a .py file" in lines[1] and "no run 'no-such-run'" in lines[2]
