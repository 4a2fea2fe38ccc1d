"""bench/compat.py's Flyte 2 part: the flyte SDK's own examples, under flyte and under hpcflow.

    python bench/compat.py --flyte-sdk PATH [--flyte-tag v2.6.5] [--flyte-python PY] [--only TEXT] [--json]

PATH is a flyte-sdk checkout (`git clone https://github.com/flyteorg/flyte-sdk`) or a bare git
directory of one; the examples of --flyte-tag (default FLYTE_TAG) are copied into a temporary
directory with `git archive` (nothing of them is kept). Each example script that runs locally
(EXCLUSIONS below say which do not, judged from its code, first matching rule wins) is run as
`__main__` under the flyte SDK of the same version (--flyte-python, by default a scratch venv
/tmp/flyte2-venv; flyte is no dependency of hpcflow) with no Flyte config, so its runs are local
runs, and then, with `import flyte` -> `import hpcflow as flyte`, under hpcflow. Every run the
script starts (flyte.run, with_runcontext(...).run) is recorded with its outputs or error, and
the n-th run of a task is compared with its n-th run under the other library (JSON-normalised,
floats to 1e-9). An example counts when each of its runs gives flyte's answer; a run that
raises under flyte has no answer and is skipped unless hpcflow answers it differently.
Flyte runs with PYTHONHASHSEED=0, and an answer that differs from flyte's is checked by running
flyte again with seeds 1, 2 and 3: one that flyte does not give every time (a dict's order after
flyte's literal map follows string hashing) is skipped, as flyte's raising is. What differs only because the two runs are two processes at two moments is taken out of the
records before they are compared (_compat_flyte2_child.py's this_run_only): the temp folder each
run gets and the random names tempfile makes in it, and readings of the clock taken during the run.
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHILD = HERE / "_compat_flyte2_child.py"
FLYTE_TAG = "v2.6.5"
FLYTE_URL = "https://github.com/flyteorg/flyte-sdk"

# What puts an example outside the comparison, judged from its code without comments.
EXCLUSIONS: list[tuple[str, str]] = [
    (r"\bflyte\.(remote|deploy|serve|with_servecontext|app|build_images|build)\b|\bAppEnvironment\b"
     r"|^\s*(from|import) flyte\.(remote|app)\b", "talks to a Flyte cluster or deploys to one (remote, deploy, serve, apps)"),
    (r"mode\s*=\s*[\"'](remote|hybrid)[\"']|with_runcontext\(\s*[\"'](remote|hybrid)[\"']",
     "runs remotely (mode='remote' or 'hybrid')"),
    (r"\bSecret\(|\bsecrets\s*=", "needs secrets from a Flyte cluster"),
    (r"\b(s3|gs|abfs)://", "reads or writes cloud object storage"),
    (r"\bflyte\.(sandbox|ai|prefetch|clustered|durable|git|connectors|extras|storage)\b"
     r"|^\s*(from|import) (flyte\.(sandbox|ai|prefetch|clustered|durable|git|connectors|extras|storage)|flyteplugins)\b",
     "needs a Flyte plugin, connector or service (sandbox, ai, prefetch, storage, flyteplugins, ...)"),
    (r"new_condition|ConditionWebhook", "waits for a condition signalled through a Flyte cluster"),
    (r"\bflyte\.io\.DataFrame\b|^\s*from flyte\.io import[^\n]*\bDataFrame\b", "Flyte's DataFrame type (a pandas/arrow plugin)"),
    (r"\binput\(", "asks for input on the terminal"),
]
MAIN_RUNS = re.compile(r"\bflyte\.(run|with_runcontext)\b")


def print_rules() -> None:
    print("Flyte 2 examples: a file is left out when its code (comments aside) matches, first rule first:")
    for pattern, why in EXCLUSIONS:
        print(f"  {why}: /{pattern}/")
    print("  a __main__ block that starts no flyte.run / with_runcontext run: nothing to compare")
    print("  a third-party import the flyte interpreter lacks: 'needs X'\n")


def code_only(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))


def main_block(source: str) -> str:
    """The text from the first `if __name__ == "__main__":` on (enough to see what it runs)."""
    m = re.search(r"^if __name__ == [\"']__main__[\"']:", source, re.M)
    return source[m.start():] if m else ""


def exclusion(source: str) -> str:
    code = code_only(source)
    why = next((w for pattern, w in EXCLUSIONS if re.search(pattern, code, re.M)), "")
    if not why and not MAIN_RUNS.search(main_block(code)):
        why = "its __main__ block starts no local run"
    return why


def imported_names(source: str) -> set[str]:
    """The top-level names the script imports, from its syntax tree (an import-like line inside a string
    is no import), or from its lines when it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"^\s*(?:from|import) ([A-Za-z_]\w*)", code_only(source), re.M))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def missing_packages(source: str, python: str, folder: Path) -> list[str]:
    """Third-party imports the interpreter lacks; modules next to the script are the example's own."""
    names = imported_names(source) - {"flyte"} - set(sys.stdlib_module_names)
    names = {n for n in names if not (folder / f"{n}.py").exists() and not (folder / n).is_dir()}
    probe = "import importlib.util, sys; print(' '.join(n for n in sys.argv[1:] if importlib.util.find_spec(n) is None))"
    out = subprocess.run([python, "-c", probe, *sorted(names)], capture_output=True, text=True,
                         cwd=tempfile.gettempdir())
    return out.stdout.split()


def swap_imports(source: str) -> str:
    """Flyte 2's promise: `import flyte` becomes `import hpcflow as flyte`, `flyte.x` modules `hpcflow.x`."""
    source = re.sub(r"^(\s*)import flyte\s*$", r"\1import hpcflow as flyte", source, flags=re.M)
    source = re.sub(r"^(\s*)import flyte\.([\w.]+) as ", r"\1import hpcflow.\2 as ", source, flags=re.M)
    source = re.sub(r"^(\s*)import flyte\.([\w.]+)\s*$", r"\1import hpcflow.\2\n\1import hpcflow as flyte", source, flags=re.M)
    return re.sub(r"^(\s*)from flyte(\.[\w.]+)? import ", r"\1from hpcflow\2 import ", source, flags=re.M)


def copy_examples(source: Path, tag: str, dest: Path) -> None:
    """examples/ of the tag, from a checkout or a bare git directory, into dest/."""
    git = ["git", "-C", str(source)] if (source / ".git").exists() else ["git", f"--git-dir={source}"]
    archive = subprocess.run([*git, "archive", tag, "examples"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def run_child(python: str, lib: str, script: Path, env: dict[str, str], timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="compat-flyte2-") as home:
        out = Path(home) / "out.json"
        cmd = [python, str(CHILD), "--lib", lib, "--script", str(script), "--out", str(out)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  env={**env, "HOME": home, "HPCFLOW_HOME": f"{home}/.hpcflow", "TMPDIR": home})
        except subprocess.TimeoutExpired:
            return {"crash": f"timed out after {timeout:.0f} s"}
        if out.exists():
            return json.loads(out.read_text())
        tail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {"crash": tail[:300]}


def run_all(sdk: Path, tag: str, flyte_python: str, hpcflow_python: str, envs: dict[str, dict[str, str]],
            timeout: float, only: str | None) -> list[Any]:
    """Every example of the tag, judged, run under both libraries and compared."""
    import compat  # the flytesnacks part's Case/Example/compare: one way of judging for all parts

    results = []
    with tempfile.TemporaryDirectory(prefix="hpcflow-compat-flyte2-") as tmp:
        fl_root, hf_root = Path(tmp) / "flyte", Path(tmp) / "hpcflow"
        for root in (fl_root, hf_root):
            root.mkdir()
            copy_examples(sdk, tag, root)
        for path in hf_root.rglob("*.py"):
            path.write_text(swap_imports(path.read_text()))
        for path in sorted((fl_root / "examples").rglob("*.py")):
            name = str(path.relative_to(fl_root / "examples"))
            if only and only not in name:
                continue
            source = path.read_text()
            if why := exclusion(source):
                results.append(compat.Example(name, excluded=why))
                continue
            if missing := missing_packages(source, flyte_python, path.parent):
                results.append(compat.Example(name, excluded=f"needs {', '.join(missing)} (not installed for flyte)"))
                continue
            fl = run_child(flyte_python, "flyte", path, {**envs["flyte"], "PYTHONHASHSEED": "0"}, timeout)
            if "crash" in fl:
                results.append(compat.Example(name, excluded=f"no flyte answer: {fl['crash']}"))
                continue
            hf = run_child(hpcflow_python, "hpcflow", hf_root / "examples" / name, envs["hpcflow"], timeout)
            cases = compat.compare(name, fl, hf, raising_is_answer=False)
            for seed in ("1", "2", "3"):  # is a different answer flyte's? its own runs, hashing strings otherwise, say
                if not any(c.verdict == "different" for c in cases):
                    break
                unsteady(cases, fl, run_child(flyte_python, "flyte", path, {**envs["flyte"], "PYTHONHASHSEED": seed},
                                              timeout))
            for case in cases:
                case.verdict = case.verdict.replace("flytekit", "flyte")
            results.append(compat.Example(name, cases=cases))
            print(f"  ran {name}", file=sys.stderr)
    return results


def unsteady(cases: list[Any], first: dict, second: dict) -> None:
    """Skip a different answer that flyte itself does not give again (a dict's order after flyte's
    literal map follows the process's string hashing, so it changes from run to run): it is not
    flyte's answer, so nothing can give it. cases[i + 1] is the case of first["calls"][i]."""
    import compat

    for case, call, again in zip(cases[1:], first.get("calls", []), second.get("calls", [])):
        if case.verdict == "different" and call["entity"] == again["entity"] and \
                not compat.same(compat.outcome(call), compat.outcome(again)):
            case.verdict = "skipped: flyte's own runs give different answers"


def print_summary(results: list[Any], tag: str) -> None:
    import compat

    considered = [ex for ex in results if not ex.excluded]
    passed = [ex for ex in considered if ex.ok]
    runs = [c for ex in considered for c in ex.cases if c.counted]
    skipped = sum(c.verdict.startswith("skipped") for ex in considered for c in ex.cases)
    print(f"\n{len(passed)}/{len(considered)} flyte-sdk {tag} examples give flyte's answers under hpcflow "
          f"({sum(c.ok for c in runs)}/{len(runs)} runs; {skipped} runs skipped, flyte itself raising; "
          f"{len(results) - len(considered)} files excluded)")
    compat.print_failures(considered)
    excluded: dict[str, list[str]] = defaultdict(list)
    for ex in results:
        if ex.excluded:
            excluded[re.sub(r"^no flyte answer: .*", "no flyte answer (the SDK's own local run fails)", ex.excluded)].append(ex.name)
    print("\nexcluded:" + ("" if excluded else " none"))
    for reason, names in sorted(excluded.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(names)}: {reason}" + (f": {', '.join(names)}" if len(names) <= 12 else ""))
