"""flytekit's FlyteFile/FlyteDirectory behaviours beyond a path: formats (`File["csv"]`), equality,
crawl, new remote paths, a remote directory, os.PathLike parameters, and outputs of the wrong kind."""

import dataclasses
import os
import typing
from pathlib import Path
from typing import Optional

import pytest

from hpcflow import Directory, File, task, workflow
from hpcflow.errors import TypeMismatchError


def test_a_format_is_a_subclass_compared_by_path_and_format(tmp_path: Path):
    assert File["csv"] is File[".csv"] is File[typing.TypeVar("csv")] and issubclass(File["csv"], File)
    assert File["csv"].extension() == "csv" and File.extension() == ""
    assert File["csv"]("/x") == File["csv"]("/x") and File["csv"]("/x") != File("/x") != File("/y")
    assert File("/x") == "/x" and str(File["csv"]("/x")) == "/x" and File("/x") != Directory("/x")


def test_formats_flow_through_workflows_and_dataclasses(tmp_path: Path):
    src = tmp_path / "a.txt"
    src.write_text("hi")
    Txt = File[typing.TypeVar("txt")]

    @dataclasses.dataclass
    class Holder:
        f: Txt

    @task
    def keep(path: Txt) -> Holder:
        return Holder(f=path)

    @task
    def plain(h: Holder) -> File:  # a File["txt"] value fits a plain File output
        return h.f

    @workflow
    def wf(path: Txt) -> File:
        return plain(h=keep(path=path))

    out = wf(path=str(src))
    assert Path(out).read_text() == "hi" and out == Txt(str(src))


def test_crawl_downloaded_and_remote_directory(tmp_path: Path):
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("a")
    (tree / "sub" / "b.txt").write_text("b")
    d = Directory(str(tree))
    assert sorted(d.crawl()) == [(str(tree), "a.txt"), (str(tree), os.path.join("sub", "b.txt"))]
    assert list(Directory(str(tree / "missing")).crawl()) == []
    assert not d.downloaded and os.path.join(d, "a.txt") and d.downloaded
    copy = Directory(str(tree), remote_directory=str(tmp_path / "copy"))
    assert copy.path == str(tmp_path / "copy") and (tmp_path / "copy" / "sub" / "b.txt").read_text() == "b"
    new = File.new_remote_file(name="out.txt")
    assert isinstance(new, File) and new.path.endswith("out.txt") and not os.path.exists(new.path)


def test_a_pathlike_parameter_gets_a_file(tmp_path: Path):
    src = tmp_path / "a.txt"
    src.write_text("hello")

    @task
    def read(a: os.PathLike) -> str:
        assert isinstance(a, File)
        return Path(a).read_text()

    @workflow
    def wf(a: File) -> str:
        return read(a=a)

    assert wf(a=str(src)) == "hello"


def test_an_output_of_the_wrong_type_fails_as_in_flytekit(tmp_path: Path):
    @task
    def number() -> File:
        return 1  # type: ignore[return-value]

    @task
    def folder() -> File:
        return str(tmp_path)

    with pytest.raises(TypeError, match="returned int for output 'o0', which is annotated File"):
        number()
    with pytest.raises(ValueError, match="returned the directory"):
        folder()


def test_an_optional_field_feeds_a_parameter_and_none_fails_at_the_call():
    @dataclasses.dataclass
    class Box:
        n: Optional[int] = 1

    @task
    def inc(n: int) -> int:
        return n + 1

    @workflow
    def wf(box: Box) -> int:
        return inc(n=box.n)

    assert wf(box=Box()) == 2
    with pytest.raises(TypeMismatchError, match="input 'n' is None"):
        wf(box=Box(n=None))
