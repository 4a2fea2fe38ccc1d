"""A workflow that declares retries, timeouts and resources (cpu, mem, gpu).

Locally the declarations are recorded and the runtime enforces retries and timeouts; on a
cluster the same declarations become --cpus-per-task, --mem, --gres/--gpus and --time.
"""
import datetime
from dataclasses import dataclass

import numpy as np

from hpcflow import Resources, task, workflow


@dataclass
class Fit:
    slope: float
    intercept: float


@task(requests=Resources(cpu="2", mem="1Gi"), retries=2, timeout=datetime.timedelta(minutes=10))
def simulate(n: int, slope: float, seed: int) -> np.ndarray:
    """Noisy points on a line, as an (n, 2) array."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 10.0, n)
    return np.column_stack([x, slope * x + 1.0 + rng.normal(0.0, 0.1, n)])


@task(requests=Resources(cpu="1", mem="2Gi", gpu="1"), limits=Resources(mem="4Gi"), timeout=600, retries=1)
def fit(points: np.ndarray) -> Fit:
    """A least-squares line; would use the GPU it was given (CUDA_VISIBLE_DEVICES) if it had one."""
    slope, intercept = np.polyfit(points[:, 0], points[:, 1], 1)
    return Fit(slope=round(float(slope), 2), intercept=round(float(intercept), 2))


@task(timeout=60)
def report(result: Fit) -> str:
    return f"slope={result.slope} intercept={result.intercept}"


@workflow
def fit_line(n: int = 200, slope: float = 3.0, seed: int = 7) -> tuple[Fit, str]:
    result = fit(points=simulate(n=n, slope=slope, seed=seed))
    return result, report(result=result)
