"""Following runs from the shell, on the test cluster: efficiency from sacct, logs of failed elements."""
from __future__ import annotations

import subprocess

from slurm_helpers import ROOT, dev_cluster_text, wait_until

MONITORING = ROOT / "tests" / "workflows" / "monitoring.py"


def _sacct(job: str) -> dict[str, str]:
    """sacct's own figures for one finished job: its allocation line and its batch step."""
    out = subprocess.run(["sacct", "-j", job, "-n", "-P", "-o", "JobID,AllocCPUS,ElapsedRaw,TotalCPU,MaxRSS,ReqMem"],
                         capture_output=True, text=True, check=True).stdout
    rows = {line.split("|")[0]: line.split("|") for line in out.splitlines()}
    return {"alloc": rows[job], "batch": rows[f"{job}.batch"]}


def test_efficiency_of_a_task_burning_two_cpus_matches_sacct(hpcflow, slurm_env):
    res = hpcflow("submit", f"{MONITORING}:burn_wf", "--site", "dev-cluster", "--wait", "--json", timeout=300)
    assert res.code == 0, res.stderr
    run_id = res.json["run_id"]

    def accounted() -> dict:  # the accounting of a job that just ended can lag behind its end
        status = hpcflow("status", run_id, "--efficiency", "--json").json
        effs = [e for e in status["efficiency"] if e["node"] == "n0"]
        return status if effs and effs[0]["tasks"] == 1 and effs[0]["peak_rss"] else {}

    status = wait_until(accounted, timeout=60, interval=2)
    eff = next(e for e in status["efficiency"] if e["node"] == "n0")
    job = str(next(j for j in status["jobs"] if j["node"] == "n0")["slurm_ids"][0])
    figures = _sacct(job)
    _, cpus, elapsed, total, _, req = figures["alloc"]
    assert eff["cpus"] == int(cpus) == 2
    assert eff["cpu_alloc_s"] == 2 * int(elapsed)
    assert eff["req_mem"] == 2 * 2**30 and req in ("2048M", "2G")
    assert abs(eff["peak_rss"] - int(figures["batch"][4].rstrip("K")) * 1024) < 1024
    assert eff["peak_rss"] > 200 * 2**20  # the array it held
    minutes, seconds = total.split(":")  # MM:SS.mmm: under an hour
    assert abs(eff["cpu_s"] - (int(minutes) * 60 + float(seconds))) < 1e-6 and eff["cpu_s"] > 1
    # how much CPU the two busy processes got depends on what else the machine runs: only sacct's ratio is promised
    assert eff["cpu_efficiency"] == eff["cpu_s"] / eff["cpu_alloc_s"]
    text = hpcflow("status", run_id, "--efficiency").stdout
    assert "CPU EFF" in text and f"{eff['cpu_efficiency']:.0%}" in text


def test_logs_follow_a_running_element_to_its_end_and_failed_ones_grouped_by_error(hpcflow, slurm_env):
    import os
    import sys

    sub = hpcflow("submit", f"{MONITORING}:chatty_wf", "--site", "dev-cluster", "-i", "lines=12", "--json")
    assert sub.code == 0, sub.stderr
    run_id = sub.json["run_id"]
    # followed from before the element starts: it waits for the log, prints it as it grows, and stops by itself
    follow = subprocess.run([sys.executable, "-m", "hpcflow.cli.main", "logs", run_id, "n0", "-f"],
                            capture_output=True, text=True, timeout=300, env=os.environ)
    assert follow.returncode == 0, follow.stderr
    assert [line for line in follow.stdout.splitlines() if line.startswith("step")] == \
        [f"step {i} of 12" for i in range(12)]
    assert hpcflow("wait", run_id, "--json").json["outputs"] == {"o0": 12}

    res = hpcflow("submit", f"{MONITORING}:some_fail", "--site", "dev-cluster", "-i", "xs=[1,2,3,4,5,6,7]", "--wait",
                  "--json", timeout=300)
    assert res.code == 0 and res.json["outputs"]["o0"] == [1, 2, None, None, 5, None, 7], res.stderr
    text = hpcflow("logs", res.json["run_id"], "--failed", "-n", "2").stdout
    groups = [line for line in text.splitlines() if line.startswith("==")]
    assert groups == ["== 2 element(s): ValueError: x=3 is a multiple of three  [n0[2], n0[5]]",
                      "== 1 element(s): KeyError: 'four'  [n0[3]]"]
    assert text.count("   ValueError: x=6 is a multiple of three") == 1  # each element's own log, its last lines


def test_status_watch_in_a_terminal_shows_progress_and_ends_by_itself_and_piped_prints_plain_lines(
        hpcflow, slurm_env, tmp_path):
    import os
    import shlex
    import sys

    xs = list(range(8))
    sub = hpcflow("submit", f"{MONITORING}:three_stages", "--site", "dev-cluster", "-i", f"xs={xs}", "--json")
    assert sub.code == 0, sub.stderr
    run_id = sub.json["run_id"]
    session = f"hf-watch-{os.getpid()}"
    watch = f"{shlex.quote(sys.executable)} -m hpcflow.cli.main status {run_id} --watch"
    piped = tmp_path / "watch.txt"
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in ("HPCFLOW_HOME", "PATH", "PYTHONSAFEPATH")
                   if k in os.environ)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "40",
                    f"env {env} {watch}; echo WATCH-EXITED $?; sleep 600"], check=True)
    subprocess.Popen(f"env {env} {watch} > {shlex.quote(str(piped))} 2>&1", shell=True)
    screens: list[str] = []
    try:
        def ended() -> bool:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True,
                                    check=True).stdout
            if not screens or screen != screens[-1]:
                screens.append(screen)
            return "WATCH-EXITED" in screen
        wait_until(ended, timeout=300, interval=0.5)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    final = screens[-1]
    assert "WATCH-EXITED 0" in final and f"run {run_id}: SUCCEEDED" in final
    done = [int(s.split("done=")[1].split()[0]) if "done=" in s else 0 for s in screens]
    assert len(set(done)) >= 2, screens  # the progress moved while it was watched
    assert "\x1b" not in "".join(screens)  # capture-pane gives the text; rich drew it
    wait_until(lambda: "SUCCEEDED" in piped.read_text(), timeout=60)
    text = piped.read_text()
    assert "\x1b" not in text and text.splitlines()[-4].startswith(f"run {run_id}: SUCCEEDED")
    assert all(line.startswith(("run ", "  n")) for line in text.splitlines() if line.strip())


def test_watching_a_run_where_nothing_moves_costs_one_squeue_per_refresh_backing_off_to_30_s(
        hpcflow, slurm_env, tmp_path):
    import json
    import os
    import sys

    site = tmp_path / "held.toml"  # every job held: nothing changes while it is watched
    site.write_text(dev_cluster_text().replace(
        "time_margin = 60", 'time_margin = 60\nextra_directives = ["--hold"]'))
    sub = hpcflow("submit", f"{MONITORING}:three_stages", "--site", str(site), "-i", "xs=[1,2,3]", "--json")
    assert sub.code == 0, sub.stderr
    log = tmp_path / "watch-calls.jsonl"
    try:
        try:
            subprocess.run([sys.executable, "-m", "hpcflow.cli.main", "status", sub.json["run_id"], "--watch"],
                           capture_output=True, text=True, timeout=75,
                           env={**os.environ, "HPCFLOW_SLURM_CALL_LOG": str(log)})
            raise AssertionError("the watch of a held run ended")
        except subprocess.TimeoutExpired as exc:
            shown = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        held = hpcflow("status", sub.json["run_id"], "--json").json["jobs"]
    finally:
        hpcflow("cancel", sub.json["run_id"])
    assert "(pending: JobHeldUser)" in shown, shown  # Slurm's reason, from the same squeue
    assert {j["pending_reason"] for j in held if j["counts"].get("PENDING")} == {"JobHeldUser"}
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    squeue = [c["at"] for c in calls if c["argv"][0] == "squeue"]
    # one squeue per refresh; sacct only for an element that ended without its record (none here); nothing else
    assert {c["argv"][0] for c in calls} <= {"squeue", "sacct"}
    assert sum(c["argv"][0] == "sacct" for c in calls) <= len(squeue)
    gaps = [b - a for a, b in zip(squeue, squeue[1:])]
    assert 5 <= len(squeue) <= 10, gaps
    assert all(g <= 32 for g in gaps) and gaps[-1] >= 20, gaps  # backing off towards one refresh per 30 s
