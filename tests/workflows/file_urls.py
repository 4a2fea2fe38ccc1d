"""A File given as an http(s) URL, fetched when the task opens it (flytekit's remote FlyteFile)."""
from pathlib import Path

from hpcflow import File, current_context, task, workflow


@task
def count_rows(f: File) -> int:
    with open(f) as fh:
        return len(fh.readlines())


@task
def copy_to(f: File, where: str) -> File:
    out = Path(current_context().working_directory) / "copy.csv"
    out.write_text(Path(f.download()).read_text())
    return File(path=str(out), remote_path=where)


@workflow
def rows(f: File) -> int:
    return count_rows(f=f)


@workflow
def kept(f: File, where: str) -> File:
    return copy_to(f=f, where=where)
