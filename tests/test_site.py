"""Site configs: the shipped ones validate, bad ones get errors naming file and key, partitions fit."""
from __future__ import annotations

from pathlib import Path

import pytest

from hpcflow.core.plan import ResourceRequest
from hpcflow.site.config import SiteConfigError, load_site, parse_slurm_time
from hpcflow.core.partition import NoPartitionFits, pick_partition
from paths import ROOT


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "site-configs").glob("*.toml")))
def test_shipped_site_configs_load(name):
    site = load_site(name)
    assert site.partitions and site.runs_dir and site.max_array_size >= 1


def test_example_sites_describe_their_clusters():
    uni, big = load_site("university"), load_site("bigcentre")
    assert uni.account == "chem-lab" and uni.gpu_request == "gres" and uni.partition("gpu").gpus == 4
    assert big.gpu_request == "gpus" and big.preemptible_qos == "scavenger" and big.max_array_size == 5000


def _site(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text,message", [
    ('scheduler = "pbs"\n', "key 'scheduler': expected one of slurm, local, got 'pbs'"),
    ('max_array_size = "big"\n[partitions.a]\ncpus = 1\nmem = "1G"\n', "key 'max_array_size': expected a whole number"),
    ('[partitions.a]\ncpus = 1\nmem = "lots"\n', "key 'partitions.a.mem': expected a memory size"),
    ('[partitions.a]\nmem = "1G"\n', "key 'partitions.a.cpus': expected a whole number (the key is required)"),
    ('[partitions.a]\ncpus = 1\nmem = "1G"\nmax_time = "soon"\n', "key 'partitions.a.max_time': expected a Slurm time"),
    ('partitons = 1\n', "unknown key 'partitons'"),
    ('scheduler = "slurm"\n', "key 'partitions': expected at least one [partitions.NAME] table"),
    ('[qos]\npreemptable = "x"\n[partitions.a]\ncpus = 1\nmem = "1G"\n', "unknown key 'qos.preemptable'"),
    ('name = [', "not valid TOML"),
])
def test_bad_configs_name_file_key_and_expectation(tmp_path, text, message):
    path = _site(tmp_path, text)
    with pytest.raises(SiteConfigError) as err:
        load_site(str(path))
    assert str(path) in str(err.value) and message in str(err.value)


def test_unknown_site_lists_the_known_ones():
    with pytest.raises(SiteConfigError, match="known sites: bigcentre, dev-cluster, university"):
        load_site("nowhere")


def test_slurm_times():
    assert parse_slurm_time("1-02:03:04") == 93784 and parse_slurm_time("30") == 1800
    assert parse_slurm_time("INFINITE") is None and parse_slurm_time("02:00") == 120


def test_partition_picked_by_fit():
    uni = load_site("university")
    pick = lambda **kw: pick_partition(uni, ResourceRequest(**{"cpus": 1, **kw}), kw.pop("t", None), "t").name  # noqa
    assert pick() == "standard"
    assert pick(gpus=2) == "gpu"
    assert pick(mem_bytes=500 * 2**30) == "highmem"
    assert pick_partition(uni, ResourceRequest(cpus=1), 3 * 86400, "t").name == "standard"
    with pytest.raises(NoPartitionFits, match="asks for 1 cpus, 8 gpus; no partition of site 'university' fits"):
        pick(gpus=8)
    with pytest.raises(NoPartitionFits, match=r"for 96.00 h \(every attempt and the margin\); .*\(standard: MaxTime 72.00 h; highmem"):
        pick_partition(uni, ResourceRequest(cpus=1), 4 * 86400, "t")
