"""Files given as http(s) URLs are fetched on first use, once per user; remote_path copies a file."""
from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from hpcflow.errors import InputError
from hpcflow.loader import load_workflow
from hpcflow.types.files import File
from paths import ROOT

CASES = f"{ROOT}/tests/workflows/file_urls.py"


@pytest.fixture
def served(tmp_path):
    """A local http server with one CSV file: its URL and how many times it was fetched."""
    folder = tmp_path / "srv"
    folder.mkdir()
    (folder / "data.csv").write_text("a,b\n1,2\n3,4\n")
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            hits.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/data.csv", hits
    server.shutdown()


def test_a_url_is_fetched_once_in_process_and_through_hpcflow_run(served, hpcflow):
    url, hits = served
    wf, _ = load_workflow(f"{CASES}:rows")
    assert wf(f=url) == 3 and wf(f=File(url)) == 3 and len(hits) == 1  # the second use reads the local copy
    res = hpcflow("run", f"{CASES}:rows", "-i", f"f={url}", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": 3}, res.stderr


def test_remote_path_receives_a_copy_and_object_stores_are_refused(served, tmp_path):
    url, _ = served
    wf, _ = load_workflow(f"{CASES}:kept")
    kept = wf(f=url, where=str(tmp_path / "results" / "kept.csv"))
    assert kept.path == str(tmp_path / "results" / "kept.csv") and Path(kept.path).read_text().startswith("a,b")
    with pytest.raises(InputError, match="shared filesystem"):
        File(path=str(tmp_path / "results" / "kept.csv"), remote_path="s3://bucket/kept.csv")


def test_an_unreachable_url_is_a_one_line_error_that_says_what_to_do():
    with pytest.raises(InputError, match="download it on the login node"):
        File("http://127.0.0.1:9/nothing.csv").download()
