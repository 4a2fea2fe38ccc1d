"""Property-based tests of hostile input (hypothesis): the value codec, the `-i` parser, node and
task names, environment variables and site values. No input may raise anything but hpcflow's own
one-line errors, and none may put a command into a jobscript.

Derandomized with a bounded number of examples, so CI runs the same cases every time, well under a
minute, and never finds a new failure on its own.
"""
from __future__ import annotations

import dataclasses
import json
import math
import shlex
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from hpcflow.cli.inputs import parse_input_options
from hpcflow.core.directives import sbatch_directives
from hpcflow.core.layout import RunPlace, element_calls
from hpcflow.core.plan import EntityRef, JobPlan, ResourceRequest
from hpcflow.errors import HpcflowError, InputError, WorkflowDefinitionError
from hpcflow.runtime.jobscript import render_call
from hpcflow.site.config import SiteConfigError, load_site, parse_site
from hpcflow.store.blobs import BlobStore
from hpcflow.store.codec import UntrustedValueError, decode, encode
from hpcflow.text import name_problem, variable_problem

settings.register_profile("hostile", derandomize=True, max_examples=150, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
HOSTILE = settings.get_profile("hostile")
FEWER = settings(HOSTILE, max_examples=80)  # each example of these stores blobs or starts bash

BLOBS = BlobStore(Path(tempfile.mkdtemp(prefix="hostile-blobs-")))
SITE = load_site("dev-cluster")
PLACE = RunPlace("wf-20260101-000000-abcd", "/runs/wf-20260101-000000-abcd")
JOB = JobPlan(id="n0", kind="task", name="square", entity=EntityRef("m", "square"), inputs=(), mapped=(), size=None,
              depends_on=(), resources=ResourceRequest(cpus=1), retries=0, timeout_s=60.0)

# text with what hurts: line breaks, quotes, $( ), ;, #, NUL, Unicode separators
NASTY = st.text(alphabet=st.sampled_from(list("ab_Z9 \n\r\t\x00\x0b\x85\u2028'\"$();#&|`\\=-%/.")) | st.characters(),
                max_size=30)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | NASTY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NASTY, inner, max_size=4), max_leaves=20)
TAGS = st.sampled_from(["$ndarray", "$enum", "$pickle", "$items", "$tuple", "$custom", "$dict", "$namedtuple",
                        "$dataclass", "value", "fields", "type"])
STORED = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | NASTY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TAGS | NASTY, inner, max_size=3), max_leaves=15)


def _script(job: JobPlan) -> str:
    (call,) = element_calls(job, SITE, PLACE, 1)
    return render_call(call, job, run_id=PLACE.run_id, run_dir=PLACE.run_dir, python="/opt/py/bin/python")


BASELINE = [line for line in _script(JOB).split("\n") if not line.startswith("#")]


@FEWER
@given(JSONISH)
def test_codec_gives_back_what_it_stored(value):
    assert decode(json.loads(json.dumps(encode(value, BLOBS))), BLOBS) == value


@HOSTILE
@given(STORED)
def test_codec_reads_any_stored_json_with_one_error_at_most(obj):
    try:
        decode(obj, BLOBS)
    except (HpcflowError, UntrustedValueError):
        pass
    assert all(p.is_relative_to(BLOBS.root) for p in BLOBS.root.rglob("*"))


@HOSTILE
@given(NASTY, NASTY)
def test_the_i_parser_answers_or_says_why(name, text):
    try:
        values, _ = parse_input_options([f"{name}={text}"])
    except InputError as exc:
        assert "\n" not in str(exc)  # one line, whatever was given
        return
    assert list(values) == [name.strip()]


@HOSTILE
@given(st.text(alphabet="[]{}\"0123456789,:a ", max_size=400))
def test_the_i_parser_survives_deep_and_broken_json(text):
    try:
        parse_input_options([f"x={text}"])
    except InputError:
        pass


@HOSTILE
@given(NASTY)
def test_a_node_name_is_refused_or_stays_in_its_comment(name):
    if name_problem(name):
        return
    lines = _script(dataclasses.replace(JOB, name=name)).split("\n")
    assert [line for line in lines if not line.startswith("#")] == BASELINE


@FEWER
@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True) | NASTY, NASTY)
def test_an_env_variable_is_refused_or_is_one_export(key, value):
    job = dataclasses.replace(JOB, environment=((key, value),))
    if variable_problem(key, value):
        try:
            _script(job)
        except WorkflowDefinitionError:
            return
        raise AssertionError(f"rendered a jobscript with the variable {key!r}")
    exports = [line for line in _script(job).split("\n") if line.startswith("export ")]
    assert len(exports) == 1 and exports[0].startswith(f"export {key}=")
    shown = subprocess.run(["bash", "-c", f'{exports[0]}; printf %s "${key}"'], capture_output=True,
                           env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}, timeout=10)
    assert shown.returncode == 0 and shown.stdout == value.encode(), shown


SITE_TEXT = NASTY | st.sampled_from(["acct", "normal", "--exclusive", "-C ib", "--comment=a b"])
NUMBER = st.floats() | st.integers(min_value=-10, max_value=10**6)


@HOSTILE
@given(account=SITE_TEXT, qos=SITE_TEXT, partition=SITE_TEXT, directive=SITE_TEXT, runs=SITE_TEXT,
       margin=NUMBER, poll=NUMBER)
def test_a_site_value_is_refused_on_load_or_stays_in_its_directive(account, qos, partition, directive, runs,
                                                                     margin, poll):
    raw = {"scheduler": "slurm", "account": account, "extra_directives": [directive], "time_margin": margin,
           "poll_interval": poll, "runs_dir": "/tmp/" + runs, "qos": {"normal": qos, "preemptible": qos},
           "partitions": {partition: {"cpus": 4, "mem": "8Gi", "default": True}}}
    try:
        site = parse_site(raw, Path("hostile.toml"))
    except SiteConfigError as exc:
        assert str(exc).startswith("hostile.toml: ") and "\n" not in str(exc)
        return
    assert math.isfinite(site.time_margin_s) and math.isfinite(site.poll_interval_s)
    job = dataclasses.replace(JOB, interruptible=True)
    lines = sbatch_directives(job, site, run_id="r", log_dir=f"{site.runs_dir}/r/logs", chunk=None)
    (call,) = element_calls(job, site, PLACE, 1)
    script = render_call(call, job, run_id="r", run_dir=str(site.runs_dir / "r"), python="/opt/py/bin/python")
    block = script.split("\n")[1:1 + len(lines)]
    assert block == lines and all(line.startswith("#SBATCH ") for line in block)
    for line in lines:  # each directive is one option: a word, or a quoted path
        assert len(shlex.split(line[len("#SBATCH "):], comments=True)) >= 1
