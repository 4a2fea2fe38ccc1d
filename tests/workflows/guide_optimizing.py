"""The two tasks of Flyte's guide on optimizing tasks (docs.flyte.org, "Optimizing tasks": a container image per
task, and multi-node training with the Kubeflow PyTorch plugin; Apache-2.0), with bodies of our own: only the
import lines differ from what a flytekit user writes. On the test cluster the site maps the guide's image names to
images of its own (site-configs/dev-cluster.toml), and PyTorch(num_workers=2) is a master and two workers: one rank
on each of three nodes, which meet by torch.distributed's env:// (gloo, on the CPU)."""
import os
from typing import Tuple

import numpy as np
import torch
from torch import nn

from hpcflow import Resources, task, workflow  # was: from flytekit import Resources, task, workflow
from hpcflow.plugins.kfpytorch import PyTorch  # was: from flytekitplugins.kfpytorch import PyTorch


@task(requests=Resources(cpu="2", mem="16Gi"), container_image="ghcr.io/flyteorg/flytekit:py3.9-latest")
def get_data() -> Tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(96, 3))
    target = features @ np.array([1.5, -2.0, 0.5]) + 0.25
    return features, target


@task(task_config=PyTorch(num_workers=2), requests=Resources(cpu="2", gpu="1", mem="8Gi"),
      limits=Resources(cpu="4", gpu="2", mem="16Gi"), container_image="ghcr.io/flyteorg/flytecookbook:kfpytorch-latest")
def train_model(features: np.ndarray, target: np.ndarray) -> nn.Module:
    import torch.distributed as dist

    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("gloo")  # MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE come from the environment
    torch.manual_seed(0)
    model = nn.Linear(3, 1).double()
    trained = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    x = torch.from_numpy(np.ascontiguousarray(features[rank::world]))  # each rank its share of the rows
    y = torch.from_numpy(np.ascontiguousarray(target[rank::world])).unsqueeze(1)
    optimizer = torch.optim.SGD(trained.parameters(), lr=0.1)
    for _ in range(300):  # full batches: the gradients DDP averages are those of all the rows
        optimizer.zero_grad()
        nn.functional.mse_loss(trained(x), y).backward()
        optimizer.step()
    if world > 1:
        model.world_size = dist.get_world_size()
        # every rank has finished with gloo before any tears it down: a rank destroying its group while a peer's
        # last exchange is in flight can abort (SIGABRT, "terminate called without an active exception")
        dist.barrier()
        dist.destroy_process_group()
    return model


@task
def learned(model: nn.Module) -> dict:
    weights = [round(float(v), 3) for v in torch.cat([model.weight.detach().flatten(), model.bias.detach()])]
    return {"weights": weights, "world": getattr(model, "world_size", 1)}


@workflow
def train() -> dict:
    features, target = get_data()
    return learned(model=train_model(features=features, target=target))
