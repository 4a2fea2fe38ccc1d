"""Rendered jobscripts and sbatch directives, checked against recorded copies."""
from __future__ import annotations

import sys
from pathlib import Path

from golden_files import assert_golden
from hpcflow.backends.slurm.directives import Chunk, Dependency, chunks, format_time, sbatch_directives
from hpcflow.core.plan import EntityRef, JobPlan, ResourceRequest
from hpcflow.runtime.jobscript import render_jobscript
from hpcflow.site.config import load_site

MAP = JobPlan(id="n2", kind="map", name="map_partial_sum", entity=EntityRef("pm", "partial_sum"), inputs=(),
              mapped=("part",), size=2500, depends_on=("n1",), resources=ResourceRequest(cpus=4, mem_bytes=8 * 2**30, gpus=2),
              retries=1, timeout_s=600.0, interruptible=True, concurrency=50, environment=(("OMP_NUM_THREADS", "4"),))


def _render(site_name: str, chunk: Chunk, dependency: Dependency) -> str:
    site = load_site(site_name)
    run_dir = Path("/runs/wf-20260101-000000-abcd")
    directives = sbatch_directives(MAP, site, run_id="wf-20260101-000000-abcd", log_dir=str(run_dir / "jobs/n2/logs"),
                                   chunk=chunk, dependency=dependency)
    return render_jobscript(run_id="wf-20260101-000000-abcd", run_dir=run_dir, job=MAP, python="/opt/py/bin/python",
                            offset=chunk.offset, count=chunk.count, directives=directives, preamble=site.preamble)


def test_university_gres_account_and_afterok():
    assert_golden("university_map_chunk0.sh", _render("university", Chunk(0, 1000), Dependency(afterok=(101,))))


def test_bigcentre_gpus_preemptible_qos_and_second_chunk():
    text = _render("bigcentre", Chunk(1000, 500), Dependency(aftercorr=(7,), afterany=(8, 9)))
    assert "--gpus=2" in text and "--qos=scavenger" in text and "--requeue" in text
    assert "--dependency=aftercorr:7,afterany:8:9" in text and "--kill-on-invalid-dep=yes" in text
    assert "$(( 1000 + ${SLURM_ARRAY_TASK_ID:-0} ))" in text
    assert_golden("bigcentre_map_chunk1.sh", text)


def test_arrays_split_at_max_array_size_and_time_has_a_margin():
    assert chunks(2500, 1000) == [Chunk(0, 1000), Chunk(1000, 1000), Chunk(2000, 500)]
    assert chunks(3, 1000) == [Chunk(0, 3)]
    assert format_time(600 * 2 + 120) == "0-00:22:00" and format_time(90000) == "1-01:00:00"
    lines = sbatch_directives(MAP, load_site("dev-cluster"), run_id="r", log_dir="/l", chunk=Chunk(0, 30))
    assert "#SBATCH --array=0-29%50" not in lines and "#SBATCH --array=0-29" in lines  # no throttle above the size
    assert "#SBATCH --time=0-00:21:00" in lines and "#SBATCH --partition=gpu" in lines


def test_jobscript_runs_locally_with_an_explicit_index(tmp_path):
    import subprocess

    text = render_jobscript(run_id="r", run_dir=tmp_path, job=MAP, python=sys.executable, offset=5)
    script = tmp_path / "job.sh"
    script.write_text(text.replace("-m hpcflow.runtime.entry", "-c 'import sys; print(sys.argv[1:])'"))
    (tmp_path / "jobs" / "n2" / "logs").mkdir(parents=True)
    subprocess.run(["bash", str(script)], env={"SLURM_ARRAY_TASK_ID": "3", "PATH": "/usr/bin:/bin"}, check=True)
    assert "'n2', '8']" in (tmp_path / "jobs" / "n2" / "logs" / "8.log").read_text()
