"""How much of flytekit's (and Flyte 2's) behaviour hpcflow gives after only the import swap, in three parts.

    python bench/compat.py --examples DIR [--hpcflow DIR] [--flytekit-python PATH] [--json]
    python bench/compat.py --fetch          # clones flytesnacks into ~/.cache/hpcflow-bench first
    python bench/compat.py --flytekit-tests PATH [--hpcflow DIR] [--flytekit-python PATH] [--json]
    python bench/compat.py --flyte-sdk PATH [--flyte-tag v2.6.5] [--flyte-python PATH] [--json]

Part 3, `--flyte-sdk PATH` (bench/_compat_flyte2.py; its docstring says more): the flyte-sdk's
own example scripts that run locally under Flyte 2's `flyte` SDK, run as published and, after
`import flyte` becomes `import hpcflow as flyte`, under hpcflow; prints `N/M examples give flyte's
answers` with the failures grouped by reason and the exclusions by printed rule.

Part 2, `--flytekit-tests PATH` (bench/_compat_tests.py; its docstring says more): PATH is a
flytekit checkout (`git clone https://github.com/flyteorg/flytekit`) or a bare git directory of
one (the tag v1.16.31 if it has it, else HEAD; the run prints which). Measures: of flytekit's
own unit tests in tests/flytekit/unit/core that exercise only public behaviour through local
calls (chosen per test function from its AST by printed rules: no serialization, protobuf
models, remote, mocks, context or type-engine internals, Kubernetes, ...), how many of those
that pass under flytekit also pass under hpcflow after the import swap, and why the others
fail, grouped by the first line of their error.

Part 1, the flytesnacks examples:

Measures: of the flytesnacks examples in basics, advanced_composition, data_types_and_io and
development_lifecycle that need no Kubernetes, cloud service, container build or plugin
package, how many give flytekit 1.16's answers under hpcflow after `from flytekit import`
becomes `from hpcflow import` (and `flytekit.x` becomes `hpcflow.x`), and why the others do
not. The peer is flytekit itself, run on the same files on the same machine.

DIR is a flytesnacks checkout (or a bare git directory of one); `--fetch` clones
https://github.com/flyteorg/flytesnacks with git into ~/.cache/hpcflow-bench/flytesnacks
(or updates it) and falls back to --examples when that fails. The examples are copied into a
temporary directory at run time; nothing of theirs is kept. For every example file that is
not excluded (EXCLUSIONS below, judged from its code), a child process imports it under
flytekit (--flytekit-python; made in /tmp/flytekit-venv if missing) and runs its
`if __name__ == "__main__":` blocks, recording every call they make to a workflow, launch plan
or task, then calls each workflow whose inputs all have defaults. A second child does the
same under hpcflow (this interpreter, with --hpcflow on PYTHONPATH) on the import-swapped
copy, and the answers are compared JSON-normalised (files by content, floats to 1e-9).
An example counts when it imports under hpcflow and every one of its calls gives flytekit's
answer. A call that raises under flytekit has no answer and is skipped, unless the example
raises on purpose (RAISES_ON_PURPOSE), where hpcflow must raise too. The examples' data URLs
(flytesnacks' own test_data on GitHub) are served from the copy over a local http server, so
the bench runs offline. Target: all of the examples that are not excluded.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from _compat_reasons import import_gap, trim  # bench/ is on sys.path when this file runs as a script

HERE = Path(__file__).resolve().parent
CHILD = HERE / "_compat_child.py"
FLYTESNACKS_URL = "https://github.com/flyteorg/flytesnacks"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hpcflow-bench" / "flytesnacks"
GROUPS = ["basics", "advanced_composition", "data_types_and_io", "development_lifecycle"]
FLYTEKIT_VERSION = "1.16.31"

# What puts an example outside the comparison, judged from its code (comments left out):
# the first rule that matches names the reason.
EXCLUSIONS: list[tuple[str, str]] = [
    (r"\bImageSpec\b", "builds a container image (ImageSpec)"),
    (r"^\s*(from|import) flytekitplugins\b", "needs a flytekit plugin package (flytekitplugins-*)"),
    (r"^\s*(from|import) (torch|tensorflow)\b", "PyTorch/TensorFlow types (flytekit's ML-framework extras)"),
    (r"\b(wait_for_input|approve)\(", "gate nodes wait for a signal from a Flyte cluster's console"),
    (r"\bFlyteRemote\b|--remote\b", "talks to a remote Flyte cluster"),
    (r"\b(s3|gs|abfs)://", "reads or writes cloud object storage"),
]

# Example data that the docs fetch from GitHub over https: served over http from the copy
# instead (a local server for the run), to both libraries at the same URL, so that the bench
# runs offline and the files still arrive as URLs, as in the docs.
DATA_URL = re.compile(r"https://raw\.githubusercontent\.com/flyteorg/flytesnacks/[^\"']*?/examples/")

# Inputs for examples whose workflows take inputs without defaults and that have no
# __main__ block to supply them (module -> workflow -> inputs), as the example's guide uses them.
BENCH_INPUTS: dict[str, dict[str, dict[str, Any]]] = {
    "advanced_composition.eager_workflows": {
        name: {"x": 1} for name in ["simple_eager_workflow", "another_eager_workflow", "eager_workflow_with_conditionals",
                                    "eager_workflow_with_for_loop", "eager_workflow_with_static_subworkflow",
                                    "nested_eager_workflow", "eager_workflow_with_exception"]},
}

# Examples whose workflows raise on purpose under flytekit too: there, raising is the answer.
# Elsewhere a call that raises under flytekit (its eager workflows do locally in 1.16, and its
# local runs do not retry) has no answer to compare, and is skipped rather than counted.
RAISES_ON_PURPOSE: dict[str, str] = {
    "development_lifecycle.failure_node": "its workflows fail on purpose, to run their on_failure clean-up",
}

# The import swap: only the module name in import lines changes. `import flytekit` keeps the
# name the code uses (`flytekit.current_context()`), as `import hpcflow as flyte` does for Flyte 2.
IMPORT_SWAPS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # flytekit.core.* is where flytekit keeps its public names' classes; hpcflow.core is hpcflow's
    # pure internal core, so the names come from hpcflow's top level (README: "Imports")
    (re.compile(r"^(\s*)from flytekit\.core\.[\w.]+ import ", re.M), r"\1from hpcflow import "),
    # ... and so does a flytekit.core module imported whole (`from flytekit.core import launch_plan`,
    # then `launch_plan.LaunchPlan`): the name is bound to hpcflow's top level
    (re.compile(r"^([ \t]*)from flytekit\.core import (?:\(([\w\s,]+)\)|([\w ,]+)$)", re.M),
     lambda m: modules_as_hpcflow(m)),
    (re.compile(r"^(\s*)import flytekit\.core\.[\w.]+ as ", re.M), r"\1import hpcflow as "),
    (re.compile(r"^(\s*)from flytekit(\.[\w.]+)? import ", re.M), r"\1from hpcflow\2 import "),
    (re.compile(r"^(\s*)import flytekit(\.[\w.]+)? as ", re.M), r"\1import hpcflow\2 as "),
    (re.compile(r"^(\s*)import flytekit\s*$", re.M), r"\1import hpcflow as flytekit"),
]


@dataclass
class Case:
    """One call of one example: the two libraries' answers and the verdict."""

    example: str
    entity: str
    inputs: Any = None
    flytekit: Any = None
    hpcflow: Any = None
    verdict: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict.startswith(("same", "skipped"))

    @property
    def counted(self) -> bool:
        """A workflow call with an answer from flytekit: one of the calls the summary counts."""
        return self.entity != "(import)" and not self.verdict.startswith("skipped")


@dataclass
class Example:
    """One example file: excluded (with why), or its cases."""

    name: str
    excluded: str = ""
    cases: list[Case] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.excluded and all(c.ok for c in self.cases)

    @property
    def reason(self) -> str:
        """The first failing case's verdict: the one-line reason the summary gives."""
        return next((c.verdict for c in self.cases if not c.ok), "")


# ---------------------------------------------------------------------------- getting the examples

def fetch_flytesnacks(dest: Path = CACHE) -> Path:
    """Clone (or update) flytesnacks with git into the cache directory; return the checkout."""
    if (dest / ".git").exists():
        subprocess.run(["git", "-C", str(dest), "pull", "-q", "--ff-only"], check=True, timeout=300)
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", "--depth", "1", FLYTESNACKS_URL, str(dest)], check=True, timeout=600,
                       env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    return dest


def copy_examples(source: Path, dest: Path) -> None:
    """Copy examples/<group>/ of a checkout or a bare git directory into dest/<group>/."""
    if (source / "examples").is_dir():
        for group in GROUPS:
            subprocess.run(["cp", "-r", str(source / "examples" / group), str(dest / group)], check=True)
        return
    git = ["git", f"--git-dir={source}"]
    listing = subprocess.run([*git, "ls-tree", "-r", "--name-only", "HEAD", *[f"examples/{g}" for g in GROUPS]],
                             check=True, capture_output=True, text=True).stdout.split()
    for path in listing:  # one blob at a time: a partial mirror may lack blobs that no example needs
        blob = subprocess.run([*git, "show", f"HEAD:{path}"], capture_output=True)
        if blob.returncode == 0:
            target = dest / Path(path).relative_to("examples")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob.stdout)


def example_files(root: Path) -> list[Path]:
    """Every example module: examples/<group>/<group>/*.py, without the packages' __init__."""
    return sorted(p for g in GROUPS for p in (root / g / g).glob("*.py") if p.name != "__init__.py")


# ---------------------------------------------------------------------------- judging and rewriting

def code_only(source: str) -> str:
    """The source without comment lines, so that instructions in comments do not count."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))


def exclusion(source: str) -> str:
    """Why this example is outside the comparison, or "" when it is in."""
    code = code_only(source)
    return next((why for pattern, why in EXCLUSIONS if re.search(pattern, code, re.M)), "")


def missing_packages(source: str, python: str) -> list[str]:
    """Top-level third-party imports that the flytekit interpreter cannot import."""
    names = set(re.findall(r"^\s*(?:from|import) ([A-Za-z_]\w*)", code_only(source), re.M))
    names -= {"flytekit", "flytekitplugins"} | set(sys.stdlib_module_names) | set(GROUPS)
    probe = "import importlib.util, sys; print(' '.join(n for n in sys.argv[1:] if importlib.util.find_spec(n) is None))"
    out = subprocess.run([python, "-c", probe, *sorted(names)], capture_output=True, text=True)
    return out.stdout.split()


def modules_as_hpcflow(m: re.Match[str]) -> str:
    """`from flytekit.core import a, b as c` -> `import hpcflow as a, hpcflow as c`."""
    names = [n.split() for n in (m.group(2) or m.group(3)).split(",") if n.strip()]
    return m.group(1) + "import " + ", ".join(f"hpcflow as {n[-1]}" for n in names)


def swap_imports(source: str) -> str:
    """The import swap the project promises: flytekit's module names become hpcflow's."""
    for pattern, replacement in IMPORT_SWAPS:
        source = pattern.sub(replacement, source)
    return source


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


def serve_data(root: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve the examples' copy on a local port for the run; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def localise_data(tree: Path, base_url: str) -> None:
    """Point the examples' GitHub data URLs at the local server."""
    for path in tree.rglob("*.py"):
        text = path.read_text()
        local = DATA_URL.sub(base_url, text)
        if local != text:
            path.write_text(local)


# ---------------------------------------------------------------------------- running

def run_child(python: str, lib: str, root: Path, module: str, plan: dict, env: dict[str, str], timeout: float) -> dict:
    """Run one example under one library in a subprocess; its JSON result, or why there is none."""
    with tempfile.TemporaryDirectory(prefix="compat-child-") as tmp:
        out, plan_file = Path(tmp) / "out.json", Path(tmp) / "plan.json"
        plan_file.write_text(json.dumps(plan))
        cmd = [python, str(CHILD), "--lib", lib, "--root", str(root), "--module", module,
               "--out", str(out), "--plan", str(plan_file)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**env, "HOME": tmp}, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"crash": f"timed out after {timeout:.0f} s"}
        if out.exists():
            return json.loads(out.read_text())
        tail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {"crash": tail[:300]}


def same(a: Any, b: Any) -> bool:
    """Equal after normalisation, floats to a relative 1e-9."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def verdict(fk: dict, hf: dict | None, raising_is_answer: bool, missing: str = "hpcflow never made this call") -> str:
    """Compare one call's two outcomes."""
    if "error" in fk and not raising_is_answer:
        return f"skipped: flytekit raises {fk['error']}"
    if hf is None:
        return f"error: {missing}"
    if "error" in hf and "error" not in fk:
        return f"error: {hf['error']}"
    if "error" in fk:
        return "same (both raise)" if "error" in hf else "different: flytekit raises, hpcflow answers"
    if not same(fk["inputs"], hf["inputs"]):
        return "different: called with other inputs"
    return "same" if same(fk["answer"], hf["answer"]) else "different"


def compare(name: str, fk: dict, hf: dict, raising_is_answer: bool) -> list[Case]:
    """Pair the two runs' calls (the n-th call of an entity with its n-th call) and judge each."""
    if "import_error" in hf or "crash" in hf:  # flytekit's calls still count, as not made
        why = hf.get("import_error") or hf["crash"]
        return [Case(name, "(import)", verdict=f"error: {why}")] + [
            Case(name, c["entity"], c["inputs"], outcome(c), None, verdict(c, None, raising_is_answer, "not run (the import failed)"))
            for c in fk["calls"]]
    cases = [Case(name, "(import)", verdict="same")]
    pending = list(hf["calls"])
    for call in fk["calls"]:
        match = next((h for h in pending if h["entity"] == call["entity"]), None)
        if match is not None:
            pending.remove(match)
        cases.append(Case(name, call["entity"], call["inputs"], outcome(call), outcome(match),
                          verdict(call, match, raising_is_answer)))
    cases += [Case(name, h["entity"], h["inputs"], None, outcome(h), "different: a call flytekit did not make")
              for h in pending]
    return cases


def outcome(call: dict | None) -> Any:
    if call is None:
        return None
    return {"error": call["error"]} if "error" in call else call["answer"]


def run_example(path: Path, fk_root: Path, hf_root: Path, args: argparse.Namespace, envs: dict) -> Example:
    """Judge, run under flytekit, run under hpcflow and compare one example file."""
    group = path.parent.name
    module = f"{group}.{path.stem}"
    name = f"{group}/{path.name}"
    source = path.read_text()
    if why := exclusion(source):
        return Example(name, excluded=why)
    if missing := missing_packages(source, args.flytekit_python):
        return Example(name, excluded=f"needs {', '.join(missing)} (not installed for flytekit)")
    plan = {"inputs": BENCH_INPUTS.get(module, {})}
    fk = run_child(args.flytekit_python, "flytekit", fk_root / group, module, plan, envs["flytekit"], args.timeout)
    if "import_error" in fk or "crash" in fk:
        return Example(name, excluded=f"no flytekit answer: {fk.get('import_error') or fk['crash']}")
    plan.update(entities=fk["entities"], defaults=fk["defaults"])
    hf = run_child(args.hpcflow_python, "hpcflow", hf_root / group, module, plan, envs["hpcflow"], args.timeout)
    return Example(name, cases=compare(name, fk, hf, module in RAISES_ON_PURPOSE))


def prepare(examples: Path, tmp: Path, base_url: str) -> tuple[Path, Path]:
    """Two copies of the examples: as published (flytekit's) and import-swapped (hpcflow's)."""
    fk_root, hf_root = tmp / "flytekit", tmp / "hpcflow"
    for root in (fk_root, hf_root):
        root.mkdir()
        copy_examples(examples, root)
        localise_data(root, base_url)
    for path in hf_root.rglob("*.py"):
        path.write_text(swap_imports(path.read_text()))
    return fk_root, hf_root


# ---------------------------------------------------------------------------- reporting

def short(value: Any, width: int = 38) -> str:
    text = "" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def print_table(results: list[Example]) -> None:
    print(f"{'example':42} {'workflow':34} {'flytekit answer':38} {'hpcflow answer':38} verdict")
    for ex in results:
        if ex.excluded:
            print(f"{ex.name:42} {'-':34} {'':38} {'':38} excluded: {ex.excluded}")
        for c in ex.cases:
            fk_ok = "ok" if c.entity == "(import)" else short(c.flytekit)
            print(f"{ex.name:42} {c.entity[:34]:34} {fk_ok:38} {short(c.hpcflow):38} {trim(c.verdict)[:140]}")


def group_reason(reason: str) -> str:
    """Failures that share a cause share a line: a missing name, a missing module, or the message."""
    return import_gap(reason) or re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", trim(reason.removeprefix("error: ")))


def print_failures(considered: list[Any]) -> None:
    """The examples that did not give the peer's answers, grouped by reason, most common first."""
    groups: dict[str, list[str]] = defaultdict(list)
    for ex in considered:
        if not ex.ok:
            groups[group_reason(ex.reason)].append(ex.name)
    if groups:
        print("\nfailures, by reason:")
        for reason, names in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(names)} file(s): {reason}\n      {', '.join(names)}")


def print_summary(results: list[Example]) -> None:
    considered = [ex for ex in results if not ex.excluded]
    passed = [ex for ex in considered if ex.ok]
    calls = [c for ex in considered for c in ex.cases if c.counted]
    skipped = sum(c.verdict.startswith("skipped") for ex in considered for c in ex.cases)
    print(f"\n{len(passed)}/{len(considered)} examples give flytekit's answers "
          f"({sum(c.ok for c in calls)}/{len(calls)} workflow calls; {skipped} calls skipped, flytekit itself raising; "
          f"{len(results) - len(considered)} files excluded)")
    print_failures(considered)
    excluded: dict[str, list[str]] = defaultdict(list)
    for ex in results:
        if ex.excluded:
            excluded[ex.excluded].append(ex.name)
    print("\nexcluded:" + ("" if excluded else " none"))
    for reason, names in excluded.items():
        print(f"  {reason}: {', '.join(names)}")


def as_json(results: list[Example]) -> dict:
    considered = [ex for ex in results if not ex.excluded]
    calls = [c for ex in considered for c in ex.cases if c.counted]
    return {"passed": sum(ex.ok for ex in considered), "considered": len(considered),
            "calls_passed": sum(c.ok for c in calls), "calls": len(calls), "flytekit": FLYTEKIT_VERSION,
            "examples": [{"example": ex.name, "ok": ex.ok, "excluded": ex.excluded or None, "reason": ex.reason or None,
                          "cases": [{"workflow": c.entity, "inputs": c.inputs, "flytekit": c.flytekit,
                                     "hpcflow": c.hpcflow, "verdict": c.verdict} for c in ex.cases]}
                         for ex in results]}


# ---------------------------------------------------------------------------- main

def flytekit_python(explicit: str | None) -> str:
    """flytekit's interpreter: given, or a scratch venv made once (flytekit is no dependency of hpcflow)."""
    if explicit:
        return explicit
    py = Path("/tmp/flytekit-venv/bin/python")
    if not py.exists():
        print(f"creating /tmp/flytekit-venv with flytekit {FLYTEKIT_VERSION} (one time)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(py.parent.parent)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", f"flytekit=={FLYTEKIT_VERSION}"], check=True)
    return str(py)


def examples_dir(args: argparse.Namespace) -> Path:
    if args.fetch:
        try:
            return fetch_flytesnacks()
        except (subprocess.SubprocessError, OSError) as exc:
            if not args.examples:
                sys.exit(f"compat: could not clone {FLYTESNACKS_URL} ({exc}); give --examples DIR")
            print(f"compat: could not clone {FLYTESNACKS_URL} ({exc}); using {args.examples}", file=sys.stderr)
    if not args.examples:
        sys.exit("compat: give --examples DIR (a flytesnacks checkout) or --fetch to clone it")
    return Path(args.examples).resolve()


def child_envs(hpcflow_dir: Path) -> dict[str, dict[str, str]]:
    """flytekit's child sees no hpcflow; hpcflow's sees only the checkout under test."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    quiet = {"PYTHONWARNINGS": "ignore", "FLYTE_SDK_LOGGING_LEVEL": "40"}
    return {"flytekit": {**base, **quiet}, "hpcflow": {**base, **quiet, "PYTHONPATH": str(hpcflow_dir)}}


def run_flytekit_tests(args: argparse.Namespace) -> None:
    """Part 2: flytekit's own unit tests, selected, run under both libraries, compared."""
    import _compat_tests as fkt  # bench/ is on sys.path when this file runs as a script

    source = Path(args.flytekit_tests).resolve()
    if not source.exists():
        sys.exit(f"compat: no {source}; `git clone {fkt.FLYTEKIT_URL}` gives a checkout")
    fkt.print_rules()
    tests, version = fkt.run_all(source, args.flytekit_python, args.hpcflow_python,
                                 child_envs(Path(args.hpcflow).resolve()), args.timeout, swap_imports, args.only)
    if args.json:
        print(json.dumps(fkt.as_json(tests, version), indent=1, ensure_ascii=False))
    else:
        fkt.print_table(tests)
        fkt.print_summary(tests, version)


def flyte_python(explicit: str | None, tag: str) -> str:
    """The flyte SDK's interpreter: given, or a scratch venv with flyte==<tag> (no dependency of hpcflow)."""
    if explicit:
        return explicit
    py = Path("/tmp/flyte2-venv/bin/python")
    if not py.exists():
        print(f"creating /tmp/flyte2-venv with flyte {tag.lstrip('v')} (one time)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(py.parent.parent)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", f"flyte=={tag.lstrip('v')}"], check=True)
    return str(py)


def run_flyte2(args: argparse.Namespace) -> None:
    """Part 3: the flyte-sdk's examples, run under flyte and, import-swapped, under hpcflow, compared."""
    import _compat_flyte2 as f2  # bench/ is on sys.path when this file runs as a script

    source = Path(args.flyte_sdk).resolve()
    if not source.exists():
        sys.exit(f"compat: no {source}; `git clone {f2.FLYTE_URL}` gives a checkout")
    envs = child_envs(Path(args.hpcflow).resolve())
    envs["flyte"] = envs["flytekit"]
    if not args.json:
        f2.print_rules()
    results = f2.run_all(source, args.flyte_tag, flyte_python(args.flyte_python, args.flyte_tag),
                         args.hpcflow_python, envs, args.timeout, args.only)
    if args.json:
        print(json.dumps({**as_json(results), "flyte": args.flyte_tag}, indent=1, ensure_ascii=False))
    else:
        print_table(results)
        f2.print_summary(results, args.flyte_tag)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", help="a flytesnacks checkout, or a bare git directory of one")
    parser.add_argument("--fetch", action="store_true", help=f"clone {FLYTESNACKS_URL} into {CACHE} first")
    parser.add_argument("--hpcflow", default=str(HERE.parent), help="the hpcflow checkout to test (default: this one)")
    parser.add_argument("--hpcflow-python", default=sys.executable, help="interpreter for the hpcflow runs")
    parser.add_argument("--flytekit-python", help=f"interpreter with flytekit {FLYTEKIT_VERSION}")
    parser.add_argument("--timeout", type=float, help="seconds per example and library (default 300); "
                        "part 2: per pytest run (default 900)")
    parser.add_argument("--only", help="run only the examples (or tests) whose name contains this")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--flytekit-tests", metavar="PATH",
                        help="part 2: run flytekit's public-behaviour unit tests from this flytekit checkout "
                             "or bare git directory instead of the examples")
    parser.add_argument("--flyte-sdk", metavar="PATH",
                        help="part 3: run the Flyte 2 SDK's examples from this flyte-sdk checkout or bare git directory")
    parser.add_argument("--flyte-tag", default="v2.6.5", help="part 3: the flyte-sdk tag (and flyte version) to use")
    parser.add_argument("--flyte-python", help="part 3: interpreter with that flyte version (default /tmp/flyte2-venv)")
    args = parser.parse_args()
    if args.flyte_sdk:
        args.timeout = args.timeout or 120
        run_flyte2(args)
        return
    args.flytekit_python = flytekit_python(args.flytekit_python)
    args.timeout = args.timeout or (900 if args.flytekit_tests else 300)
    if args.flytekit_tests:
        run_flytekit_tests(args)
        return
    source = examples_dir(args)
    envs = child_envs(Path(args.hpcflow).resolve())
    with tempfile.TemporaryDirectory(prefix="hpcflow-compat-") as tmp:
        server, base_url = serve_data(Path(tmp) / "flytekit")
        fk_root, hf_root = prepare(source, Path(tmp), base_url)
        results = []
        for path in example_files(fk_root):  # one at a time: the machine is shared
            if args.only and args.only not in str(path):
                continue
            results.append(run_example(path, fk_root, hf_root, args, envs))
            if not args.json:
                print(f"  ran {results[-1].name}", file=sys.stderr)
        server.shutdown()
    if args.json:
        print(json.dumps(as_json(results), indent=1, ensure_ascii=False))
    else:
        print_table(results)
        print_summary(results)


if __name__ == "__main__":
    main()
