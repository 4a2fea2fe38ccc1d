"""flytekitplugins-slurm's names (hpcflow.plugins.slurm): sbatch_config becomes the task's own
#SBATCH lines, checked where it is written and against the site when the plan is laid out."""
from __future__ import annotations

import pytest

from hpcflow import task, workflow
from dataclasses import replace

from hpcflow.core.compile import compile_plan
from hpcflow.core.directives import sbatch_directives
from hpcflow.core.layout import RunPlace
from hpcflow.core.partition import NoPartitionFits
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.plugins.slurm import (
    Slurm, SlurmConfig, SlurmFunction, SlurmFunctionConfig, SlurmScriptConfig, SlurmShellTask, SlurmTask,
)
from hpcflow.runtime.jobscript import render_call
from hpcflow.site.config import load_site

PLACE = RunPlace("wf-20260101-000000-abcd", "/runs/wf-20260101-000000-abcd")


@task(task_config=SlurmFunctionConfig(
    sbatch_config={"partition": "highmem", "mem": "500G", "time": "1-00:00:00", "cpus-per-task": 16,
                   "constraint": "skylake", "mail-type": "END", "exclusive": None},
    script="#!/bin/bash -i\nmodule load samtools\n{task.fn}\n"))
def plus_one(x: int) -> int:
    return x + 1


@task(task_config=SlurmFunction(sbatch_conf={"gres": "gpu:a100:2", "qos": "long", "account": "other-lab"}))
def on_gpus(x: int) -> int:
    return x


@task(task_config=SlurmFunctionConfig(sbatch_config={"partition": "debug", "time": "02:00:00"}))
def too_long(x: int) -> int:
    return x


@task(task_config=SlurmFunctionConfig(sbatch_config={"partition": "bigmem"}))
def unknown_partition(x: int) -> int:
    return x


echo = SlurmShellTask(name="echo", script="echo {inputs.x} $1 $BASH_VERSION", inputs={"x": int},
                      task_config=Slurm(sbatch_conf={"partition": "debug"}, batch_script_args=["extra"]))


@workflow
def wf(x: int = 1) -> int:
    echo(x=x)
    return on_gpus(x=plus_one(x=x))


@workflow
def wf_too_long(x: int = 1) -> int:
    return too_long(x=x)


@workflow
def wf_unknown_partition(x: int = 1) -> int:
    return unknown_partition(x=x)


def _directives(workflow_, site_name: str = "university") -> dict[str, list[str]]:
    plan = compile_plan(workflow_.graph, {"x": 1}, load_site(site_name), PLACE)
    return {plan.job(c.job).name: list(c.directives) for c in plan.calls}


def test_sbatch_config_is_merged_into_the_directives():
    d = _directives(wf)
    assert d["plus_one"] == [
        "#SBATCH --job-name=hf-wf-20260101-000000-abcd", "#SBATCH --partition=highmem", "#SBATCH --cpus-per-task=16",
        "#SBATCH --mem=512000M", "#SBATCH --time=1-00:00:00",
        "#SBATCH --output=/runs/wf-20260101-000000-abcd/jobs/n1/logs/slurm-%j.out",
        "#SBATCH --account=chem-lab", "#SBATCH --constraint=skylake", "#SBATCH --mail-type=END", "#SBATCH --exclusive"]
    gpus = d["on_gpus"]
    assert "#SBATCH --partition=gpu" in gpus and "#SBATCH --gres=gpu:a100:2" in gpus  # 2 GPUs: only gpu fits
    assert "#SBATCH --qos=long" in gpus and "#SBATCH --account=other-lab" in gpus and "#SBATCH --account=chem-lab" not in gpus
    assert "#SBATCH --partition=debug" in d["echo"]


def test_a_function_config_script_runs_its_lines_before_the_element():
    site = load_site("university")
    plan = compile_plan(wf.graph, {"x": 1}, site, PLACE)
    call = next(c for c in plan.calls if plan.job(c.job).name == "plus_one")
    text = render_call(call, plan.job(call.job), run_id=PLACE.run_id, run_dir=PLACE.run_dir, python="/py",
                       preamble=site.preamble)
    assert text.index("module load samtools") < text.rindex("exec /py -m hpcflow.runtime.entry")
    assert "#!/bin/bash -i" not in text and "{task.fn}" not in text


def test_a_partition_the_site_lacks_or_that_cannot_hold_the_request_fails_at_compile_time():
    with pytest.raises(NoPartitionFits, match=r"sbatch_conf names partition 'bigmem', which site 'university' .* "
                                              r"does not have; its partitions: standard, highmem, gpu, debug"):
        _directives(wf_unknown_partition)
    with pytest.raises(NoPartitionFits, match=r"partition 'debug' of site 'university' cannot hold it "
                                              r"\(MaxTime 30 min\)"):
        _directives(wf_too_long)


def test_a_request_over_every_partition_names_the_limit():
    @task(task_config=SlurmFunctionConfig(sbatch_config={"mem": "2000G"}))
    def huge(x: int) -> int:
        return x

    job = compile_plan(wf.graph, {"x": 1}).jobs[1]
    with pytest.raises(NoPartitionFits, match=r"no partition of site 'university' fits .*highmem: 1000.0 GiB per node < 2000.0 GiB"):
        sbatch_directives(replace(job, sbatch=huge.spec.sbatch), load_site("university"), run_id="r", log_dir="/l",
                          chunk=None)


@pytest.mark.parametrize("conf,message", [
    ({"partiton": "cpu"}, r"sbatch_conf key 'partiton' is not an sbatch option; did you mean 'partition'\?"),
    ({"array": "0-9"}, r"sbatch_conf key 'array' is decided by hpcflow: .*map_task"),
    ({"dependency": "afterok:1"}, r"sbatch_conf key 'dependency' is decided by hpcflow"),
    ({"output": "/home/u/log"}, r"sbatch_conf key 'output' is decided by hpcflow: .*hpcflow logs"),
    ({"job-name": "tiny"}, r"sbatch_conf key 'job-name' is decided by hpcflow: .*hf-<run id>"),
])
def test_bad_sbatch_keys_are_refused_where_they_are_written(conf, message):
    with pytest.raises(WorkflowDefinitionError, match=message):
        SlurmFunctionConfig(sbatch_config=conf)


def test_a_bad_time_or_mem_is_an_error_naming_the_value():
    from hpcflow.core.sbatch_options import read_options
    with pytest.raises(WorkflowDefinitionError, match=r"time='soon' is not a Slurm time"):
        read_options((("time", "soon"),), 1, None, 0, "t")
    with pytest.raises(WorkflowDefinitionError, match=r"mem='lots' is not a Slurm size"):
        read_options((("mem", "lots"),), 1, None, 0, "t")
    own = read_options((("time", "90"), ("mem", "4000"), ("gpus", "a100:3")), 1, None, 0, "t")
    assert (own.time_s, own.mem_bytes, own.gpus) == (5400, 4000 * 2**20, 3)


def test_ssh_config_is_refused_with_why():
    for make in (lambda: SlurmFunctionConfig(ssh_config={"host": "login"}),
                 lambda: SlurmConfig(ssh_config={"host": "login"}), lambda: Slurm({"host": "login"})):
        with pytest.raises(WorkflowDefinitionError, match=r"ssh_config=.*runs on the cluster's login node itself.*needs "
                                                          r"no SSH; remove ssh_config"):
            make()


def test_a_function_script_needs_task_fn_and_nothing_after_it():
    with pytest.raises(WorkflowDefinitionError, match=r"has no \{task.fn\}"):
        SlurmFunctionConfig(script="module load x")
    with pytest.raises(WorkflowDefinitionError, match=r"only the lines before \{task.fn\}"):
        SlurmFunctionConfig(script="{task.fn}\necho done")


def test_slurm_shell_task_runs_with_bash_and_its_arguments():
    assert echo(x=5) is None  # in-process: the script runs; its stdout is the task's log


def test_slurm_task_runs_a_batch_script_with_its_own_directives_under_the_config(tmp_path, capfd):
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\n#SBATCH --partition=debug\n#SBATCH -t 00:10:00\n#SBATCH --job-name=mine\n"
                      "echo ran with \"$1\"\n")
    t = SlurmTask(name="batch", task_config=SlurmScriptConfig(batch_script_path=str(script), batch_script_args=["a b"],
                                                              sbatch_config={"partition": "standard"}))
    assert dict(t.spec.sbatch) == {"time": "00:10:00", "partition": "standard"}  # the config wins; job-name is hpcflow's
    t()
    assert "ran with a b" in capfd.readouterr().out
