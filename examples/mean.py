"""A mean with caching declared: two tasks, a numpy array passed between them."""
import numpy as np

from hpcflow import task, workflow


@task
def make_samples(n: int, seed: int) -> np.ndarray:
    """n normally distributed samples around 10."""
    return np.random.default_rng(seed).normal(loc=10.0, scale=2.0, size=n)


@task(cache=True, cache_version="1")
def mean(samples: np.ndarray) -> float:
    """The arithmetic mean; declared cacheable, so a re-run with the same samples skips it."""
    return float(samples.mean())


@workflow
def mean_wf(n: int = 100_000, seed: int = 0) -> float:
    """Draw samples and average them."""
    return mean(samples=make_samples(n=n, seed=seed))
