"""Second part of bench/compat.py: flytekit's own public-behaviour unit tests under hpcflow.

    python bench/compat.py --flytekit-tests PATH [--hpcflow DIR] [--flytekit-python PATH] [--json]

PATH is a flytekit checkout (`git clone https://github.com/flyteorg/flytekit`, then
`git -C flytekit checkout v1.16.31`) or a bare git directory of one, where the tag v1.16.31 is
used when present and HEAD otherwise (the run prints which). From tests/flytekit/unit/core it
selects, per test function and from its AST, the tests that exercise only public behaviour
through local calls: a test qualifies when neither its body nor any module-level definition it
reaches (tasks, workflows, helpers, fixtures, imports) matches one of RULES below. Each selected
test becomes a file of its own holding only what it reaches, so that a missing deep module
fails only the tests that import it. The files are written into a temporary directory (nothing
of flytekit's is kept), run with pytest under flytekit (--flytekit-python, with pytest added to
that scratch venv when missing) and, after compat.py's import swap, under hpcflow (--hpcflow on
PYTHONPATH). Measures: N/M of the selected tests that pass under flytekit also pass under
hpcflow; the others are grouped by the first line of their error, as the team's to-do list.
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from _compat_reasons import import_gap, trim

TESTS_DIR = "tests/flytekit/unit/core"
WANTED_TAG = "v1.16.31"  # the flytekit release the scratch venv holds
FLYTEKIT_URL = "https://github.com/flyteorg/flytekit"

# pytest's own fixtures, which both runs have; any other fixture that the test file does not
# define comes from flytekit's conftest or a plugin, which the copy does not provide.
BUILTIN_FIXTURES = {"tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory", "capsys", "capfd", "caplog", "request"}


@dataclass(frozen=True)
class Rule:
    """What puts a test outside the comparison: any matching import, name, attribute or fixture."""

    why: str
    modules: tuple[str, ...] = ()  # dotted prefixes of what the test imports or reaches through a module
    names: frozenset[str] = frozenset()  # bare names it uses or imports
    attrs: frozenset[str] = frozenset()  # attributes it reads (`.template`, `.nodes`, ...)
    fixtures: frozenset[str] = frozenset()


def rule(why: str, modules: Iterable[str] = (), names: Iterable[str] = (), attrs: Iterable[str] = (),
         fixtures: Iterable[str] = ()) -> Rule:
    return Rule(why, tuple(modules), frozenset(names), frozenset(attrs), frozenset(fixtures))


# The first rule that matches names the reason. They follow the brief: public behaviour only,
# through local calls (define tasks and workflows, call them, assert on values or exceptions).
RULES: list[Rule] = [
    rule("uses mocks (mock, unittest.mock, mocker, monkeypatch, flytekit.core.testing)",
         modules=["mock", "unittest.mock", "pytest_mock", "flytekit.core.testing"],
         names=["mock", "MagicMock", "patch", "task_mock"], fixtures=["mocker", "monkeypatch"]),
    rule("uses protobuf models (flytekit.models, flyteidl, google.protobuf, _idl)",
         modules=["flytekit.models", "flyteidl", "google.protobuf"],
         names=["convert_resources_to_resource_model", "construct_extended_resources", "pod_spec_from_resources"],
         attrs=["to_flyte_idl", "from_flyte_idl", "SerializeToString", "HasField", "ParseFromString", "_idl",
                "cron_schedule", "schedule_expression", "to_flyte_model"]),
    rule("serializes entities (get_serializable, SerializationSettings, flytekit.configuration, translator)",
         modules=["flytekit.configuration", "flytekit.tools", "flytekit.core.python_auto_container"],
         names=["get_serializable", "SerializationSettings", "Image", "ImageConfig", "serialize"],
         attrs=["serialize", "get_serializable", "template", "get_custom", "get_config", "get_container",
                "get_k8s_pod", "get_sql", "get_extended_resources", "serialization_settings"],
         fixtures=["serialization_settings", "default_serialization_settings"]),
    rule("talks to a Flyte cluster (flytekit.remote, FlyteRemote, clients)",
         modules=["flytekit.remote", "flytekit.clients"], names=["FlyteRemote"]),
    rule("uses the FlyteContext / FlyteContextManager internals",
         modules=["flytekit.core.context_manager"],
         names=["FlyteContextManager", "FlyteContext", "ExecutionState", "context_manager"],
         attrs=["FlyteContextManager", "FlyteContext", "with_context", "get_or_create", "execution_state",
                "with_execution_state", "new_builder", "file_access", "with_file_access"]),
    rule("uses TypeEngine / literal internals (type_engine, to_literal, to_python_value, ...)",
         modules=["flytekit.core.type_engine", "flytekit.core.promise", "flytekit.core.interface",
                  "flytekit.core.literals_resolver", "flytekit.interaction"],
         names=["TypeEngine", "TypeTransformer", "LiteralsResolver", "Promise", "VoidPromise"],
         attrs=["to_literal", "to_python_value", "to_literal_type", "get_literal_type", "guess_python_type",
                "get_transformer", "assert_type", "literals", "dict_to_literal_map"]),
    rule("inspects compiled entity internals (.nodes, .interface, .python_interface, bindings, metadata, ...)",
         attrs=["nodes", "interface", "python_interface", "metadata", "bindings", "binding", "output_bindings",
                "parameters", "task_node", "workflow_node", "branch_node", "array_node", "gate_node",
                "upstream_node_ids", "upstream_nodes", "flyte_entity", "compile", "compile_into_workflow",
                "dispatch_execute", "local_execute", "pre_execute", "post_execute", "execute",
                "version_hash", "task_resolver", "loader_args", "docs", "_native_interface",
                "instantiated_in", "lhs", "overrides", "run_entity", "failure_node"]),
    rule("reads private attributes (._name)",
         attrs=["<private>"]),
    rule("other flytekit internals (data persistence, tracker, hashing, caching store, workers, utils)",
         modules=["flytekit.core.data_persistence", "flytekit.core.tracker", "flytekit.core.hash",
                  "flytekit.core.utils", "flytekit.utils", "flytekit.core.worker_queue", "flytekit.core.constants",
                  "flytekit.core.local_cache", "flytekit.core.base_task", "flytekit.core.class_based_resolver",
                  "flytekit.core.docstring", "flytekit.core.checkpointer", "flytekit.core.shim_task",
                  "flytekit.loggers", "flytekit.bin", "flytekit.clis", "flytekit.exceptions.utils",
                  "flytekit.core.type_helpers", "flytekit.deck"],
         names=["FileAccessProvider", "LocalTaskCache", "PythonTask", "TaskResolverMixin", "IgnoreOutputs",
                "DefaultTaskResolver", "default_task_resolver", "FlyteFilePathTransformer"]),
    rule("needs Kubernetes, a container image or a sandbox (pod templates, ImageSpec, container tasks)",
         modules=["kubernetes", "flytekit.image_spec", "flytekit.core.pod_template", "flytekit.core.container_task",
                  "flytekit.sandbox", "flytekit.extras.tasks"],
         names=["PodTemplate", "ImageSpec", "ContainerTask", "pod_template", "container_image"],
         attrs=["pod_template", "container_image", "pod_spec"], fixtures=["mock_image_spec_builder"]),
    rule("uses Flyte artifacts (an artifact service on a Flyte cluster)",
         modules=["flytekit.core.artifact"], names=["Artifact", "Inputs"]),
    rule("uses flytekit's test helper modules (tests.*, relative imports)",
         modules=["tests", "."]),
    rule("uses a fixture from flytekit's conftest (exec_prefix)", fixtures=["exec_prefix"]),
    rule("patches interpreter state (sys.modules, importlib.reload, os.environ)",
         attrs=["modules", "reload", "environ"]),
]


# ---------------------------------------------------------------------------- what a test reaches

@dataclass
class Usage:
    """Everything a slice of a test file mentions, for the rules to judge."""

    modules: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    attrs: set[str] = field(default_factory=set)
    fixtures: set[str] = field(default_factory=set)
    third_party: set[str] = field(default_factory=set)


@dataclass
class Statement:
    """One top-level statement of a test file: the names it binds, and (for imports) their origins."""

    node: ast.stmt
    binds: set[str]
    origins: dict[str, str] = field(default_factory=dict)  # bound name -> dotted module path
    autouse: bool = False


def import_origins(node: ast.Import | ast.ImportFrom) -> dict[str, str]:
    """Bound name -> what it names: `from a.b import c as d` gives d -> a.b.c."""
    if isinstance(node, ast.Import):
        return {(a.asname or a.name.split(".")[0]): (a.name if a.asname else a.name.split(".")[0]) for a in node.names}
    base = "." * node.level + (node.module or "")
    return {(a.asname or a.name): f"{base}.{a.name}" if base and not base.endswith(".") else f"{base}{a.name}"
            for a in node.names}


def bound_names(node: ast.stmt) -> set[str]:
    """The module-level names a statement binds (imports, defs, assignments, also inside if/try)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            names |= set(import_origins(sub))
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(sub.name)
    return names


def is_fixture(decorator: ast.expr) -> tuple[bool, bool]:
    """(is a pytest fixture, is autouse) for one decorator."""
    text = ast.unparse(decorator)
    return "fixture" in text, "autouse=True" in text


def statements(tree: ast.Module) -> list[Statement]:
    out = []
    for node in tree.body:
        origins: dict[str, str] = {}
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Import, ast.ImportFrom)):
                origins.update(import_origins(sub))
        autouse = isinstance(node, ast.FunctionDef) and any(is_fixture(d)[1] for d in node.decorator_list)
        out.append(Statement(node, bound_names(node), origins, autouse))
    return out


def loaded_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def parametrized(test: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Argument names that @pytest.mark.parametrize supplies."""
    names: set[str] = set()
    for d in test.decorator_list:
        if isinstance(d, ast.Call) and "parametrize" in ast.unparse(d.func) and d.args:
            first = d.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names |= {n.strip() for n in first.value.split(",")}
            elif isinstance(first, (ast.List, ast.Tuple)):
                names |= {e.value for e in first.elts if isinstance(e, ast.Constant)}
    return names


def test_args(test: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return [a.arg for a in test.args.args + test.args.kwonlyargs]


def reach(test: ast.FunctionDef | ast.AsyncFunctionDef, stmts: list[Statement]) -> tuple[list[Statement], set[str]]:
    """The top-level statements a test reaches, transitively, and the import names it uses."""
    wanted = loaded_names(test) | set(test_args(test))
    taken: list[Statement] = [s for s in stmts if s.autouse or "pytestmark" in s.binds]
    for s in taken:
        wanted |= loaded_names(s.node)
    used_imports: set[str] = set()
    todo = set(wanted)
    while todo:
        name = todo.pop()
        for s in stmts:
            if name not in s.binds or s.node is test:
                continue
            if name in s.origins:
                used_imports.add(name)
            if s not in taken:
                taken.append(s)
                new = loaded_names(s.node) - wanted
                wanted |= new
                todo |= new
    return [s for s in stmts if s in taken], used_imports


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for an attribute chain rooted at a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def usage(test: ast.FunctionDef | ast.AsyncFunctionDef, taken: list[Statement], imports: set[str]) -> Usage:
    """What the test and the statements it reaches mention."""
    u = Usage()
    origins = {name: s.origins[name] for s in taken for name in imports if name in s.origins}
    nodes = [test, *(s.node for s in taken)]
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                u.names.add(sub.id)
            elif isinstance(sub, ast.Attribute):
                u.attrs.add("<private>" if sub.attr.startswith("_") and not sub.attr.startswith("__") else sub.attr)
                chain = dotted(sub)
                if chain and chain.split(".")[0] in origins:  # flytekit.core.x.Y reached through `import flytekit`
                    root, _, rest = chain.partition(".")
                    u.modules.add(f"{origins[root]}.{rest}")
    for name, origin in origins.items():
        u.modules.add(origin)
        u.names.add(origin.rsplit(".", 1)[-1])
        top = origin.split(".")[0]
        if top and top not in sys.stdlib_module_names and top not in {"flytekit", "pytest", "__future__", "tests"}:
            u.third_party.add(top)
    u.fixtures = set(test_args(test)) - parametrized(test)
    return u


def under(name: str, prefix: str) -> bool:
    if prefix == ".":
        return name.startswith(".")
    return name == prefix or name.startswith(prefix + ".")


def judge(u: Usage, local_fixtures: set[str]) -> str:
    """Why the test is left out, or "" when it is in."""
    for r in RULES:
        if (any(under(m, p) for m in u.modules for p in r.modules) or u.names & r.names or u.attrs & r.attrs
                or u.fixtures & r.fixtures):
            return r.why
    unknown = u.fixtures - local_fixtures - BUILTIN_FIXTURES
    if unknown:
        return f"uses a fixture from flytekit's conftest or a plugin ({', '.join(sorted(unknown))})"
    return ""


# ---------------------------------------------------------------------------- selection

@dataclass
class Test:
    """One test function: where it comes from, why it is left out or its own file, and its two outcomes."""

    source: str  # e.g. test_workflows.py
    name: str
    excluded: str = ""
    code: str = ""
    third_party: set[str] = field(default_factory=set)
    expects: set[str] = field(default_factory=set)  # the exception classes its pytest.raises name
    flytekit: str = ""  # passed / failed / skipped / error / timeout / not run
    flytekit_reason: str = ""
    hpcflow: str = ""
    hpcflow_reason: str = ""

    @property
    def id(self) -> str:
        return f"{self.source}::{self.name}"

    @property
    def file_name(self) -> str:
        return f"test_{Path(self.source).stem.removeprefix('test_')}__{self.name}.py"

    @property
    def counted(self) -> bool:
        return not self.excluded and self.flytekit == "passed"

    @property
    def ok(self) -> bool:
        return self.counted and self.hpcflow == "passed"


def slice_source(test: ast.FunctionDef | ast.AsyncFunctionDef, taken: list[Statement], imports: set[str]) -> str:
    """A module holding only what the test reaches: the imports it uses, the definitions, the test."""
    body: list[ast.stmt] = []
    for s in taken:
        node = s.node
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            body.append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            kept = [a for a in node.names if (a.asname or a.name.split(".")[0]) in imports]
            if kept:
                body.append(type(node)(**{**{f: getattr(node, f) for f in node._fields}, "names": kept}))
        else:
            body.append(node)
    body.append(test)
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=body, type_ignores=[]))) + "\n"


def expected(test: ast.FunctionDef) -> set[str]:
    """The exception classes the test's pytest.raises(...) calls expect, by their last name."""
    names: set[str] = set()
    for sub in ast.walk(test):
        if isinstance(sub, ast.Call) and ast.unparse(sub.func).endswith("raises") and sub.args:
            first = sub.args[0]
            for e in first.elts if isinstance(first, ast.Tuple) else [first]:
                names.add(ast.unparse(e).rsplit(".", 1)[-1])
    return names


def select(path: Path) -> list[Test]:
    """Judge every top-level test function of one file; slice out the ones that qualify."""
    tree = ast.parse(path.read_text())
    stmts = statements(tree)
    local_fixtures = {s.node.name for s in stmts if isinstance(s.node, ast.FunctionDef)
                      and any(is_fixture(d)[0] for d in s.node.decorator_list)}
    tests = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            tests.append(Test(path.name, node.name, excluded="a test class (only test functions are taken)"))
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith("test"):
            continue
        if isinstance(node, ast.AsyncFunctionDef):
            tests.append(Test(path.name, node.name, excluded="an async test (needs pytest-asyncio)"))
            continue
        if all(isinstance(n, ast.Pass) or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
               for n in node.body):
            tests.append(Test(path.name, node.name, excluded="an empty test (its body is only pass or a docstring)"))
            continue
        taken, imports = reach(node, [s for s in stmts if s.node is not node])
        u = usage(node, taken, imports)
        why = judge(u, local_fixtures)
        tests.append(Test(path.name, node.name, excluded=why, third_party=u.third_party, expects=expected(node),
                          code="" if why else slice_source(node, taken, imports)))
    return tests


# ---------------------------------------------------------------------------- getting the tests

def copy_tests(source: Path, dest: Path) -> str:
    """Copy tests/flytekit/unit/core of a checkout or bare git dir into dest; which version it is."""
    if (source / TESTS_DIR).is_dir():
        subprocess.run(["cp", "-r", str(source / TESTS_DIR) + "/.", str(dest)], check=True)
        described = subprocess.run(["git", "-C", str(source), "describe", "--tags", "--always"],
                                   capture_output=True, text=True).stdout.strip()
        return f"checkout {source} ({described or 'not a git checkout'})"
    git = ["git", f"--git-dir={source}"]
    has_tag = subprocess.run([*git, "rev-parse", "-q", "--verify", f"{WANTED_TAG}^{{commit}}"],
                             capture_output=True, text=True)
    ref = WANTED_TAG if has_tag.returncode == 0 else "HEAD"
    commit = subprocess.run([*git, "rev-parse", ref], check=True, capture_output=True, text=True).stdout.strip()
    described = subprocess.run([*git, "describe", "--tags", commit], capture_output=True, text=True).stdout.strip()
    listing = subprocess.run([*git, "ls-tree", "-r", "--name-only", ref, TESTS_DIR],
                             check=True, capture_output=True, text=True).stdout.split()
    for path in listing:  # one blob at a time: a partial mirror may lack some
        blob = subprocess.run([*git, "show", f"{ref}:{path}"], capture_output=True)
        if blob.returncode == 0:
            target = dest / Path(path).relative_to(TESTS_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob.stdout)
    note = "" if ref == WANTED_TAG else f"; {WANTED_TAG} is not in it, so HEAD"
    return f"bare git dir {source}, {ref} = {commit[:12]} ({described or 'no tag'}{note})"


# ---------------------------------------------------------------------------- running

# Loaded into each pytest run as a conftest: it writes each test's outcome as it happens (so a
# run that times out still tells which tests finished) with the first line of the error.
REPORTER = '''
import json, os, pytest

OUT = os.environ["COMPAT_TESTS_OUT"]


def _reason(report):
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    if crash is not None:
        return crash.message.splitlines()[0] if crash.message else ""
    text = str(report.longrepr or "")
    lines = [l[4:].strip() for l in text.splitlines() if l.startswith("E   ")]
    if isinstance(report.longrepr, tuple):  # a skip: (file, line, reason)
        return str(report.longrepr[2])
    return (lines or text.splitlines() or [""])[0]


def _write(entry):
    with open(OUT, "a") as f:
        f.write(json.dumps(entry) + "\\n")


def pytest_runtest_logstart(nodeid, location):
    _write({"file": nodeid.split("::")[0].rsplit("/", 1)[-1], "event": "start"})


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        _write({"file": report.nodeid.split("::")[0].rsplit("/", 1)[-1], "event": report.when,
                "outcome": report.outcome, "reason": "" if report.passed else _reason(report)[:400]})


def pytest_collectreport(report):
    if report.failed or report.skipped:  # an import error, or a module-level skip (importorskip)
        _write({"file": report.nodeid.rsplit("/", 1)[-1], "event": "collect",
                "outcome": "error" if report.failed else "skipped", "reason": _reason(report)[:400]})
'''


def outcomes(log: Path) -> tuple[dict[str, tuple[str, str]], str | None]:
    """file -> (outcome, reason) from a reporter log, and the file that started last without an end."""
    results: dict[str, tuple[str, str]] = {}
    started = None
    if not log.exists():
        return results, None
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if entry["event"] == "start":
            started = entry["file"]
            continue
        outcome = {"failed": "failed" if entry["event"] == "call" else "error"}.get(entry["outcome"], entry["outcome"])
        if entry["file"] not in results or results[entry["file"]][0] == "passed":  # the first failure stands
            results[entry["file"]] = (outcome, entry["reason"])
    return results, (started if started not in results else None)


def run_pytest(python: str, root: Path, files: list[str], env: dict[str, str], timeout: float) -> dict[str, tuple[str, str]]:
    """Run the files in one pytest subprocess after another until each has an outcome or timed out."""
    results: dict[str, tuple[str, str]] = {}
    pending = list(files)
    while pending:
        log = root / "outcomes.jsonl"
        log.unlink(missing_ok=True)
        cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(root),
               "-W", "ignore", *pending]
        try:
            subprocess.run(cmd, cwd=root, env={**env, "COMPAT_TESTS_OUT": str(log)}, capture_output=True, timeout=timeout)
            hung = None
        except subprocess.TimeoutExpired:
            hung = "timed out"
        done, last = outcomes(log)
        results.update(done)
        if hung:
            victim = last or next((f for f in pending if f not in done), None)
            if victim:
                results[victim] = ("timeout", f"the run timed out after {timeout:.0f} s in this test")
        left = [f for f in pending if f not in results]
        if left == pending:  # pytest ran nothing (e.g. it crashed): say so rather than loop
            results.update({f: ("not run", "pytest reported nothing for this file") for f in left})
            break
        pending = left
    return results


def write_tree(root: Path, data: Path, tests: list[Test], swap: Callable[[str], str] | None) -> None:
    """One library's copy: the data files next to the tests (some read them by __file__), the reporter, the tests."""
    root.mkdir(parents=True)
    for path in data.rglob("*"):
        if path.is_file() and path.suffix != ".py":
            target = root / path.relative_to(data)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    (root / "conftest.py").write_text(REPORTER)
    (root / "pytest.ini").write_text("[pytest]\n")
    for t in tests:
        (root / t.file_name).write_text(swap(t.code) if swap else t.code)


def missing_modules(python: str, names: set[str], env: dict[str, str]) -> set[str]:
    probe = "import importlib.util, sys; print(' '.join(n for n in sys.argv[1:] if importlib.util.find_spec(n) is None))"
    out = subprocess.run([python, "-c", probe, *sorted(names)], capture_output=True, text=True, env=env)
    return set(out.stdout.split())


def ensure_pytest(python: str) -> None:
    """flytekit's scratch venv may lack pytest: add it there (never to hpcflow's environment)."""
    if subprocess.run([python, "-c", "import pytest"], capture_output=True).returncode != 0:
        print(f"installing pytest into {python}'s venv (one time)...", file=sys.stderr)
        subprocess.run([python, "-m", "pip", "install", "-q", "pytest"], check=True)


def run_all(source: Path, fk_python: str, hf_python: str, envs: dict[str, dict[str, str]], timeout: float,
            swap: Callable[[str], str], only: str | None) -> tuple[list[Test], str]:
    """Select, run under flytekit, run the tests flytekit passes under hpcflow; the tests and the version."""
    ensure_pytest(fk_python)
    with tempfile.TemporaryDirectory(prefix="hpcflow-compat-tests-") as tmp:
        data = Path(tmp) / "source"
        data.mkdir()
        version = copy_tests(source, data)
        tests = [t for p in sorted(data.glob("test_*.py")) for t in select(p) if not only or only in t.id]
        exclude_missing(tests, fk_python, hf_python, envs)
        chosen = [t for t in tests if not t.excluded]
        fk_root, hf_root = Path(tmp) / "flytekit", Path(tmp) / "hpcflow"
        write_tree(fk_root, data, chosen, None)
        write_tree(hf_root, data, chosen, swap)
        # As flytekit's conftest sets it; HOME in the temp dir, so caches and configs go with it.
        env = {"FLYTE_EXIT_ON_USER_EXCEPTION": "0", "HOME": tmp}
        print(f"  running {len(chosen)} tests under flytekit...", file=sys.stderr)
        fk = run_pytest(fk_python, fk_root, [t.file_name for t in chosen], {**envs["flytekit"], **env}, timeout)
        for t in chosen:
            t.flytekit, t.flytekit_reason = fk.get(t.file_name, ("not run", ""))
        passing = [t for t in chosen if t.flytekit == "passed"]
        print(f"  running the {len(passing)} that flytekit passes under hpcflow...", file=sys.stderr)
        hf = run_pytest(hf_python, hf_root, [t.file_name for t in passing], {**envs["hpcflow"], **env}, timeout)
        for t in passing:
            t.hpcflow, t.hpcflow_reason = hf.get(t.file_name, ("not run", ""))
    return tests, version


def exclude_missing(tests: list[Test], fk_python: str, hf_python: str, envs: dict[str, dict[str, str]]) -> None:
    """Third-party packages a test imports that one of the two environments lacks put it out."""
    wanted = {m for t in tests if not t.excluded for m in t.third_party}
    lacking = {"flytekit": missing_modules(fk_python, wanted, envs["flytekit"]),
               "hpcflow": missing_modules(hf_python, wanted, envs["hpcflow"])}
    for t in tests:
        for lib, missing in lacking.items():
            if not t.excluded and (need := sorted(t.third_party & missing)):
                t.excluded = f"needs {', '.join(need)} (not installed for {lib})"


# ---------------------------------------------------------------------------- reporting

def reason_group(test: Test) -> str:
    """The to-do line a failure belongs to: the missing module or name, the wrong exception, ..."""
    reason = trim(test.hpcflow_reason)
    if test.hpcflow == "timeout":
        return "timed out"
    if gap := import_gap(reason):
        return gap
    if m := re.search(r"(?:type object )?'(\w+)'(?: object)? has no attribute '(\w+)'", reason):
        return f"{m.group(1)} has no {m.group(2)}"
    if m := re.search(r"DID NOT RAISE (?:<class ')?([\w.]+)", reason):
        return f"does not raise {m.group(1).rsplit('.', 1)[-1]} (flytekit does)"
    if "Regex pattern did not match" in reason:
        return "raises with another message than flytekit's (pytest.raises(match=...) fails)"
    raised = reason.partition(":")[0].rsplit(".", 1)[-1]
    if test.expects and raised.isidentifier() and raised not in test.expects and raised != "AssertionError":
        return f"raises {raised} where flytekit raises {' or '.join(sorted(test.expects))}"
    if reason.startswith("AssertionError") or reason.startswith("assert "):
        return "wrong value (an assert fails)"
    if test.hpcflow == "skipped":
        return f"skipped under hpcflow: {reason}"
    return re.sub(r"0x[0-9a-f]+|/tmp/[\w./-]+", "…", reason)[:160]


def wanted_names(reason: str, members: list[Test]) -> str:
    """For a missing module: the names the tests import from it, i.e. what hpcflow would have to offer there."""
    m = re.fullmatch(r"no module hpcflow(\.[\w.]+)", reason)
    if not m:
        return ""
    pattern = re.compile(rf"^from flytekit{re.escape(m.group(1))} import (.+)$", re.M)
    names = {n.strip().split(" as ")[0] for t in members for line in pattern.findall(t.code) for n in line.split(",")}
    return f" (importing {', '.join(sorted(names))})" if names else ""


def print_table(tests: list[Test]) -> None:
    print(f"{'test':78} {'flytekit':9} {'hpcflow':9} reason")
    for t in tests:
        if t.excluded:
            continue
        reason = t.hpcflow_reason if t.counted else t.flytekit_reason
        print(f"{t.id[:78]:78} {t.flytekit:9} {t.hpcflow or '-':9} {reason[:150]}")


def print_summary(tests: list[Test], version: str) -> None:
    chosen = [t for t in tests if not t.excluded]
    counted = [t for t in chosen if t.counted]
    passed = [t for t in counted if t.ok]
    print(f"\nflytekit tests from {version}")
    print(f"{len(passed)}/{len(counted)} of the tests flytekit passes also pass under hpcflow "
          f"({len(tests)} test functions in {TESTS_DIR}, {len(chosen)} selected, "
          f"{len(chosen) - len(counted)} not passing under flytekit here)")
    groups: dict[str, list[Test]] = defaultdict(list)
    for t in counted:
        if not t.ok:
            groups[reason_group(t)].append(t)
    if groups:
        print("\nfailures under hpcflow, by reason:")
        for reason, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print(f"  {reason}{wanted_names(reason, members)}: {len(members)} test(s)")
            if len({t.hpcflow_reason for t in members}) == 1:
                print(f"      {', '.join(t.id for t in members)}")
            else:  # one to-do line, several messages: show each test's own
                for t in members:
                    print(f"      {t.id}: {t.hpcflow_reason[:140]}")
    not_fk = defaultdict(list)
    for t in chosen:
        if not t.counted:
            not_fk[f"{t.flytekit}: {t.flytekit_reason[:120]}"].append(t.id)
    if not_fk:
        print("\nselected but not passing under flytekit (not counted):")
        for reason, ids in sorted(not_fk.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(ids)}: {reason}\n      {', '.join(ids)}")
    excluded: dict[str, int] = defaultdict(int)
    for t in tests:
        if t.excluded:
            excluded[t.excluded] += 1
    print("\nexcluded (the first rule that matches, judged from the test's AST and what it reaches):")
    for reason, n in sorted(excluded.items(), key=lambda kv: -kv[1]):
        print(f"  {n:4}  {reason}")


def as_json(tests: list[Test], version: str) -> dict:
    counted = [t for t in tests if t.counted]
    return {"passed": sum(t.ok for t in counted), "considered": len(counted), "flytekit_tests": version,
            "selected": sum(not t.excluded for t in tests), "functions": len(tests),
            "groups": {g: sorted(t.id for t in counted if not t.ok and reason_group(t) == g)
                       for g in sorted({reason_group(t) for t in counted if not t.ok})},
            "tests": [{"test": t.id, "excluded": t.excluded or None, "flytekit": t.flytekit or None,
                       "flytekit_reason": t.flytekit_reason or None, "hpcflow": t.hpcflow or None,
                       "hpcflow_reason": t.hpcflow_reason or None, "ok": t.ok} for t in tests]}


def print_rules() -> None:
    print("selection rules (a test is left out by the first that matches):", file=sys.stderr)
    for r in RULES:
        parts = [f"modules {', '.join(r.modules)}" if r.modules else "", f"names {', '.join(sorted(r.names))}" if r.names else "",
                 f"attributes {', '.join(sorted(r.attrs))}" if r.attrs else "",
                 f"fixtures {', '.join(sorted(r.fixtures))}" if r.fixtures else ""]
        print(f"  - {r.why}: {'; '.join(p for p in parts if p)}", file=sys.stderr)
    print("  - async tests, test classes, empty tests, fixtures neither pytest's nor the file's own, and third-party "
          "packages missing from either environment", file=sys.stderr)
