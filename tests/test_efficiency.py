"""The efficiency arithmetic (core/efficiency.py) on sacct's own spellings; the figures themselves are checked
against sacct on the cluster (tests/slurm/test_monitoring.py)."""
from __future__ import annotations

import pytest

from hpcflow.core.efficiency import TaskUsage, combine, enough_memory, parse_duration, parse_memory


@pytest.mark.parametrize("text, seconds", [("00:06.744", 6.744), ("01:02:03", 3723.0), ("2-00:00:01", 172801.0),
                                           ("", 0.0), ("59:59.5", 3599.5)])
def test_durations_as_sacct_writes_them(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text, cpus, size", [("232084K", 1, 232084 * 1024), ("2G", 1, 2 * 2**30),
                                              ("2000M", 4, 2000 * 2**20), ("2000Mc", 4, 8000 * 2**20),
                                              ("1.5G", 1, int(1.5 * 2**30)), ("", 1, None), ("16Gn", 2, 16 * 2**30)])
def test_memory_as_sacct_writes_it(text, cpus, size):
    assert parse_memory(text, cpus) == size


def test_an_array_asking_far_more_than_it_uses_gets_a_request_that_would_do():
    tasks = [TaskUsage(4, 100, 90, 1200 * 2**20, 16 * 2**30), TaskUsage(4, 50, 40, 900 * 2**20, 16 * 2**30)]
    eff = combine("n1", tasks)
    assert eff.tasks == 2 and eff.cpu_s == 130 and eff.cpu_alloc_s == 600
    assert eff.cpu_efficiency == pytest.approx(130 / 600) and eff.peak_rss == 1200 * 2**20
    assert eff.hint() == ('asked 16G, peak 1.2G: requests=Resources(mem="2Gi") would do; '
                          'used 0.9 of 4 CPUs on average: requests=Resources(cpu="1") would do')
    assert combine("n2", [TaskUsage(1, 10, 9, 900 * 2**20, 2**30)]).hint() == ""
    assert combine("n3", []).cpu_efficiency is None and enough_memory(10) == "64Mi"
