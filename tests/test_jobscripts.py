"""Rendered jobscripts and sbatch directives, checked against recorded copies."""
from __future__ import annotations

import sys

from golden_files import assert_golden
from hpcflow.backends.slurm.shell import sbatch_options
from hpcflow.core.directives import Chunk, chunks, format_time, sbatch_directives
from hpcflow.core.layout import RunPlace, element_calls
from hpcflow.core.plan import EntityRef, JobPlan, ResourceRequest, Role
from hpcflow.runtime.jobscript import render_call
from hpcflow.site.config import load_site

MAP = JobPlan(id="n2", kind="map", name="map_partial_sum", entity=EntityRef("pm", "partial_sum"), inputs=(),
              mapped=("part",), size=2500, depends_on=("n1",), resources=ResourceRequest(cpus=4, mem_bytes=8 * 2**30, gpus=2),
              retries=1, timeout_s=600.0, interruptible=True, concurrency=50, environment=(("OMP_NUM_THREADS", "4"),))


PLACE = RunPlace("wf-20260101-000000-abcd", "/runs/wf-20260101-000000-abcd")


def _render(site_name: str, size: int) -> tuple[list, str]:
    """The calls of MAP on a site, and the first one rendered."""
    site = load_site(site_name)
    calls = element_calls(MAP, site, PLACE, size)
    return calls, render_call(calls[0], MAP, run_id=PLACE.run_id, run_dir=PLACE.run_dir, python="/opt/py/bin/python",
                              preamble=site.preamble)


def test_university_gres_account_afterok_and_chunks_below_max_array_size():
    calls, text = _render("university", 2500)
    assert [(c.role, c.offset, c.count) for c in calls] == [
        (Role.ARRAY, 0, 1001), (Role.ARRAY, 1001, 1001), (Role.ARRAY, 2002, 498)]
    assert [c.script for c in calls] == ["jobs/n2/job.sh", "jobs/n2/job-chunk1.sh", "jobs/n2/job-chunk2.sh"]
    assert_golden("university_map_chunk0.sh", text)


def test_bigcentre_gpus_preemptible_qos_and_batches_above_max_fanout():
    calls, text = _render("bigcentre", 2500)
    assert [(c.batch, c.count) for c in calls] == [(2, 1250)]  # max_fanout 2000: two elements per array task
    assert "--gpus=2" in text and "--qos=scavenger" in text and "--requeue" in text and "--array=0-1249%50" in text
    assert "--dependency" not in text  # the ids it waits on go on sbatch's command line
    assert sbatch_options("aftercorr:7,afterany:8:9") == ["--dependency=aftercorr:7,afterany:8:9",
                                                          "--kill-on-invalid-dep=yes"]
    assert sbatch_options("", hold=True) == ["--hold"]
    assert_golden("bigcentre_map_batched.sh", text)


def test_arrays_split_at_max_array_size_and_time_has_a_margin():
    assert chunks(2500, 1000) == [Chunk(0, 1000), Chunk(1000, 1000), Chunk(2000, 500)]
    assert chunks(3, 1000) == [Chunk(0, 3)]
    assert format_time(600 * 2 + 120) == "0-00:22:00" and format_time(90000) == "1-01:00:00"
    lines = sbatch_directives(MAP, load_site("dev-cluster"), run_id="r", log_dir="/l", chunk=Chunk(0, 30))
    assert "#SBATCH --array=0-29%50" not in lines and "#SBATCH --array=0-29" in lines  # no throttle above the size
    assert "#SBATCH --time=0-00:31:00" in lines and "#SBATCH --partition=gpu" in lines  # attempts of 600 s and 1200 s, +60 s


def test_a_batched_array_task_has_time_for_its_rounds_of_elements():
    site = load_site("dev-cluster")
    (call,) = element_calls(MAP, site, PLACE, 40, batch=10)  # 10 elements over 4 CPUs: 3 rounds
    assert "#SBATCH --time=0-01:31:00" in call.directives  # 3 x (600 s + 1200 s) + 60 s
    (single,) = element_calls(MAP, site, PLACE, 40)
    assert "#SBATCH --time=0-00:31:00" in single.directives


def test_a_later_chunk_runs_element_offset_plus_array_task_id(tmp_path):
    import subprocess

    call = element_calls(MAP, load_site("university"), RunPlace("r", str(tmp_path)), 2500)[1]
    text = render_call(call, MAP, run_id="r", run_dir=tmp_path, python=sys.executable)
    script = tmp_path / "job.sh"
    script.write_text(text.replace("-m hpcflow.runtime.entry", "-c 'import sys; print(sys.argv[1:])'"))
    (tmp_path / "jobs" / "n2" / "logs").mkdir(parents=True)
    subprocess.run(["bash", str(script)], env={"SLURM_ARRAY_TASK_ID": "3", "PATH": "/usr/bin:/bin"}, check=True)
    assert "'n2', '1004']" in (tmp_path / "jobs" / "n2" / "logs" / "1004.log").read_text()
