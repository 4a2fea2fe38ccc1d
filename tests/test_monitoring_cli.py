"""Following local runs from the shell: `hpcflow runs` filters, `logs --failed`, and what --efficiency says without
a scheduler (the Slurm side: tests/slurm/test_monitoring.py)."""
from __future__ import annotations

from pathlib import Path

MONITORING = Path(__file__).parent / "workflows" / "monitoring.py"


def test_runs_filter_by_state_workflow_and_age_and_failed_logs_group_by_error(hpcflow):
    ok = hpcflow("run", f"{MONITORING}:some_fail", "-i", "xs=[1,2,3,4,5,6,7]", "--json")
    assert ok.code == 0, ok.stderr
    bad = hpcflow("run", f"{MONITORING}:some_fail", "-i", "xs=[3,6]", "--json")
    assert bad.json["state"] == "FAILED"
    chatty = hpcflow("run", f"{MONITORING}:chatty_wf", "-i", "lines=1", "--json")
    every = hpcflow("runs", "--json").json["runs"]
    assert [r["run_id"] for r in every] == [ok.json["run_id"], bad.json["run_id"], chatty.json["run_id"]]
    assert [r["run_id"] for r in hpcflow("runs", "--state", "failed", "--json").json["runs"]] == [bad.json["run_id"]]
    mine = hpcflow("runs", "--workflow", "some_fail", "--state", "SUCCEEDED", "--since", "1h", "--json").json["runs"]
    assert [r["run_id"] for r in mine] == [ok.json["run_id"]]
    assert hpcflow("runs", "--since", "yesterday").stderr.strip() == \
        "error: age 'yesterday' is not understood; use e.g. 30m, 12h, 7d"

    text = hpcflow("logs", ok.json["run_id"], "--failed", "-n", "1").stdout.splitlines()
    assert text == ["== 2 element(s): ValueError: x=3 is a multiple of three  [n0[2], n0[5]]",
                    "-- n0[2] (FAILED): ValueError: x=3 is a multiple of three",
                    "   ValueError: x=3 is a multiple of three",
                    "-- n0[5] (FAILED): ValueError: x=6 is a multiple of three",
                    "   ValueError: x=6 is a multiple of three",
                    "== 1 element(s): KeyError: 'four'  [n0[3]]",
                    "-- n0[3] (FAILED): KeyError: 'four'",
                    "   KeyError: 'four'"]
    assert hpcflow("logs", chatty.json["run_id"], "--failed").stdout.strip().endswith("no element has failed")
    assert hpcflow("logs", ok.json["run_id"]).code != 0
    assert "--failed prints every failed element's log" in hpcflow("logs", ok.json["run_id"], "n0[1]", "--failed").stderr

    eff = hpcflow("status", chatty.json["run_id"], "--efficiency")
    assert eff.code == 0 and "no scheduler accounting" in eff.stderr


def test_report_of_a_local_run_is_one_self_contained_page(hpcflow, tmp_path):
    res = hpcflow("run", f"{MONITORING}:some_fail", "-i", "xs=[1,2,3,4,5,6,7]", "--json")
    out = tmp_path / "report.html"
    made = hpcflow("report", res.json["run_id"], "-o", str(out))
    assert made.code == 0 and made.stdout.strip() == f"wrote {out}", made.stderr
    page = out.read_text()
    assert f"Run {res.json['run_id']}" in page and "SUCCEEDED" in page
    assert page.count("class='span'") == 7  # each element's run on the timeline, from its own record
    assert page.count("data-state='FAILED'") == 3 and "n0.x = <code>[1, 2, 3, 4, 5, 6, 7]</code>" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "<script" not in page
    assert hpcflow("report", res.json["run_id"]).code != 0  # -o is required
