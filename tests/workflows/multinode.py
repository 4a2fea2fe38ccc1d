"""Multi-node tasks (hpcflow.plugins): MPI ranks that meet through Slurm's PMI, torch-style ranks
that meet at MASTER_ADDR, on the test cluster's two nodes."""
import os
import socket

from hpcflow import Resources, task, workflow
from hpcflow.plugins import MPI, Elastic, MPIJob, Worker


@task(task_config=MPI(nodes=2, tasks_per_node=1), requests=Resources(cpu="1", mem="500Mi"))
def allreduce(x: int) -> dict:
    """Each rank gives rank+x; all get the sum and say where they ran."""
    from mpi4py import MPI as mpi

    comm = mpi.COMM_WORLD
    total = comm.allreduce(comm.Get_rank() + x)
    hosts = comm.allgather(socket.gethostname())
    return {"size": comm.Get_size(), "total": total, "hosts": hosts}


@task
def describe(result: dict) -> str:
    return f"{result['size']} ranks on {'+'.join(sorted(set(result['hosts'])))} sum {result['total']}"


@workflow
def mpi_wf(x: int = 10) -> tuple[dict, str]:
    result = allreduce(x=x)
    return result, describe(result=result)


@task(task_config=MPIJob(worker=Worker(replicas=2), slots=1), requests=Resources(cpu="1", mem="500Mi"))
def flyte_mpijob(x: int) -> int:
    from mpi4py import MPI as mpi

    return mpi.COMM_WORLD.allreduce(x)


@workflow
def mpijob_wf(x: int = 3) -> int:
    return flyte_mpijob(x=x)


@task(task_config=Elastic(nnodes=2, nproc_per_node=2), requests=Resources(cpu="2", mem="500Mi"))
def torch_ranks() -> dict:
    """Rank 0 listens at MASTER_ADDR:MASTER_PORT and the others send it their rank: a rendezvous as
    torch.distributed's env:// makes one, without torch."""
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    addr, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    if rank == 0:
        with socket.create_server(("0.0.0.0", port)) as server:
            server.settimeout(120)
            got = []
            for _ in range(world - 1):
                conn, _ = server.accept()
                with conn:
                    got.append(conn.recv(64).decode())
        return {"world": world, "others": sorted(got), "local_world": int(os.environ["LOCAL_WORLD_SIZE"]),
                "master": socket.gethostname()}
    import time

    deadline = time.time() + 120
    while True:  # rank 0 may not listen yet
        try:
            with socket.create_connection((addr, port), timeout=5) as conn:
                conn.sendall(f"{rank}@{socket.gethostname()}:{os.environ['LOCAL_RANK']}".encode())
            return {}
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


@workflow
def torch_wf() -> dict:
    return torch_ranks()


@task(task_config=MPI(nodes=2, tasks_per_node=1), requests=Resources(cpu="1", mem="500Mi"))
def rank_one_fails() -> int:
    if os.environ["RANK"] == "1":
        raise ValueError("rank one cannot go on")
    return 0


@workflow
def failing_rank_wf() -> int:
    return rank_one_fails()
