"""container_image= without running a container: the site's [container] table, the exec
templates each runtime renders, how images resolve, ImageSpec, and what compile records."""
from __future__ import annotations

from pathlib import Path

import pytest

from hpcflow import ImageSpec, task, workflow
from hpcflow.core.compile import compile_plan
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.runtime.container import container_for_run, detect_runtime, mount_points
from hpcflow.site.config import SiteConfigError, load_site
from hpcflow.site.container import ContainerConfig, ContainerError, container_config, render_exec, resolve_image

BINDS = [("/runs", "/runs"), ("/cache", "/cache")]
COMMAND = ["python3", "-m", "hpcflow.runtime.in_container", "/runs/r/call.json"]


@pytest.mark.parametrize("runtime,argv", [
    ("charliecloud", "ch-run -b /runs:/runs -b /cache:/cache -c / /img -- " + " ".join(COMMAND)),
    ("apptainer", "apptainer exec --pwd / --bind /runs:/runs --bind /cache:/cache /img " + " ".join(COMMAND)),
    ("singularity", "singularity exec --pwd / --bind /runs:/runs --bind /cache:/cache /img " + " ".join(COMMAND)),
    ("podman", "podman --runtime runc run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 "
               "-w / -v /runs:/runs -v /cache:/cache --rootfs /img " + " ".join(COMMAND)),
])
def test_each_runtime_renders_its_exec_line(runtime, argv):
    assert render_exec(container_config(runtime=runtime), "/img", BINDS, COMMAND) == argv.split()


def test_a_site_template_takes_image_binds_and_command_as_words():
    config = container_config(exec="srun --mpi=none shifter --image={image} {binds} {command}",
                              bind="--volume={src}:{dst}")
    assert render_exec(config, "docker:app:1", BINDS[:1], ["python3", "-c", "print('a b')"]) == [
        "srun", "--mpi=none", "shifter", "--image=docker:app:1", "--volume=/runs:/runs", "python3", "-c", "print('a b')"]


def _site(tmp_path: Path, container: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(f'scheduler = "local"\nruns_dir = "{tmp_path}/runs"\n{container}')
    return path


@pytest.mark.parametrize("text,message", [
    ('[container]\nruntime = "docker"\n', "key 'container.runtime': expected one of charliecloud, apptainer, "
                                          "singularity, podman, got 'docker'"),
    ('[container]\npython = "python3"\n', "key 'container': expected runtime = one of"),
    ('[container]\nexec = "run {image} {command}"\n', "key 'container.exec': expected exec template "
                                                      "'run {image} {command}' lacks {binds}"),
    ('[container]\nruntime = "apptainer"\nbind = "--bind"\n', "lacks {src}"),
    ('[container]\nruntime = "apptainer"\nimage = "x"\n', "unknown key 'container.image'"),
    ('[container]\nruntime = "apptainer"\n[container.images]\nx = 1\n', "key 'container.images': expected a table"),
    ('[container]\nruntime = "apptainer"\nbinds = "/scratch"\n', "key 'container.binds': expected a list of strings"),
    ('container = "apptainer"\n', "key 'container': expected a table"),
])
def test_bad_container_tables_name_file_key_and_expectation(tmp_path, text, message):
    path = _site(tmp_path, text)
    with pytest.raises(SiteConfigError) as err:
        load_site(str(path))
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_container_table_is_read_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGES", "/shared/images")
    site = load_site(str(_site(tmp_path, '[container]\nruntime = "apptainer"\npython = "python3 -s"\n'
                                         'binds = ["/scratch/$USER"]\n[container.images]\n'
                                         '"ghcr.io/a/b:1" = "$IMAGES/b.sif"\nspec = "docker://ghcr.io/a/c:2"\n')))
    c = site.container
    assert (c.runtime, c.python, c.binds[0].startswith("/scratch/"), c.site) == ("apptainer", "python3 -s", True,
                                                                                 str(tmp_path / "site.toml"))
    assert dict(c.images) == {"ghcr.io/a/b:1": "/shared/images/b.sif", "spec": "docker://ghcr.io/a/c:2"}
    assert ContainerConfig.from_json(c.to_json()) == c
    assert load_site("dev-cluster").container.runtime == "charliecloud"
    assert load_site("university").container is None


def test_images_resolve_through_the_site_mapping_or_as_paths():
    config = container_config(runtime="apptainer", images=(("ghcr.io/a/b:1", "/img/b.sif"), ("spec", "/img/s.sif")),
                              site="/etc/hpcflow/sites/hpc.toml")
    assert resolve_image(config, "ghcr.io/a/b:1", False, "task 't'") == "/img/b.sif"
    assert resolve_image(config, "spec", True, "task 't'") == "/img/s.sif"
    assert resolve_image(config, "/own/image.sif", False, "task 't'") == "/own/image.sif"
    assert resolve_image(config, "docker://alpine:3", False, "task 't'") == "docker://alpine:3"
    with pytest.raises(ContainerError, match=r"task 't': image 'ghcr.io/x/y:2' has no local image on site "
                                             r"/etc/hpcflow/sites/hpc.toml; .*apptainer build /shared/images/y.sif "
                                             r"docker://ghcr.io/x/y:2.*\[container.images\] \"ghcr.io/x/y:2\""):
        resolve_image(config, "ghcr.io/x/y:2", False, "task 't'")
    with pytest.raises(ContainerError, match="ImageSpec 'other' has no local image"):
        resolve_image(config, "other", True, "task 't'")


def test_charliecloud_binds_onto_the_folders_its_image_has():
    have = {"/var", "/var/tmp", "/tmp", "/home"}
    binds = mount_points(["/var/tmp/hpcflow-me/runs/r1", "/var/tmp/hpcflow-me/cache", "/tmp/x"], "/",
                         "charliecloud", have.__contains__)
    assert binds == [("/tmp", "/tmp"), ("/var/tmp", "/var/tmp")]
    assert mount_points(["/scratch/runs", "/scratch/runs/cache"], "/img.sif", "apptainer") == [
        ("/scratch/runs", "/scratch/runs")]
    with pytest.raises(ContainerError, match=r"image / has no folder to mount /scratch/runs on; create it in the "
                                             r"image \(mkdir /scratch\)"):
        mount_points(["/scratch/runs"], "/", "charliecloud", have.__contains__)


@task(container_image="/images/app")
def in_app(x: int) -> int:
    return x + 1


@task(container_image=ImageSpec(name="Pandas-Image", packages=["pandas"], registry="GHCR.io/me"))
def in_spec(x: int) -> int:
    return x * 2


@task
def plain(x: int) -> int:
    return x


@workflow
def wf(x: int = 1) -> int:
    return plain(x=in_spec(x=in_app(x=x))).with_overrides(container_image="/images/other")


def test_compile_records_each_nodes_image():
    jobs = {job.name: job for job in compile_plan(wf.graph, {"x": 1}).jobs}
    assert (jobs["in_app"].container_image, jobs["in_app"].image_spec) == ("/images/app", False)
    assert (jobs["in_spec"].container_image, jobs["in_spec"].image_spec) == ("pandas-image", True)
    assert jobs["plain"].container_image == "/images/other"


def test_in_process_calls_ignore_images():
    assert wf(x=1) == 4


def test_a_run_is_checked_against_its_sites_container_table():
    plan = compile_plan(wf.graph, {"x": 1})
    with pytest.raises(ContainerError, match=r"task 'in_app' has container_image='/images/app' but site /s.toml has "
                                             r"no container runtime; add to it: \[container\] runtime = \"apptainer\""):
        container_for_run(plan, None, "/s.toml")
    with pytest.raises(ContainerError, match="no container runtime is on PATH"):
        container_for_run(plan, None, "", which=lambda exe: None)
    config = container_config(runtime="apptainer", images=(("pandas-image", "/"), ("/images/app", "/"),
                                                           ("/images/other", "/")))
    assert container_for_run(plan, config, "/s.toml") is config
    with pytest.raises(ContainerError, match="image /images/other does not exist"):
        container_for_run(plan, container_config(runtime="apptainer", images=(("pandas-image", "/"), ("/images/app", "/"))), "")


def test_hpcflow_run_without_a_site_uses_the_first_runtime_on_path():
    assert detect_runtime(lambda exe: f"/usr/bin/{exe}" if exe in ("podman", "apptainer") else None).runtime == "apptainer"
    assert detect_runtime(lambda exe: None) is None


def test_image_spec_takes_flytekits_arguments():
    spec = ImageSpec(name="My-Image", python_version="3.11", packages=["numpy"], apt_packages=["git"],
                     base_image="ghcr.io/flyteorg/flytekit:py3.11-latest", registry="ghcr.io/Me", env={"A": "1"},
                     commands=["echo hi"], pip_index="https://pypi.org/simple", platform="linux/arm64")
    assert spec.name == "my-image" and spec.image_name().startswith("ghcr.io/me/my-image:")
    more = spec.with_packages("pandas").with_apt_packages(["curl"])
    assert more.packages == ["numpy", "pandas"] and more.apt_packages == ["git", "curl"]
    assert more.image_name() != spec.image_name() and spec.image_name() == ImageSpec(**spec.__dict__).image_name()
    assert not spec.is_container() and spec.exist() is None
    assert "pip packages: numpy" in spec.recipe() and "hpcflow-slurm" in spec.recipe()


def test_container_image_takes_an_image_or_an_image_spec():
    with pytest.raises(WorkflowDefinitionError, match="container_image=3 takes an image"):
        task(container_image=3)(lambda x: x)
