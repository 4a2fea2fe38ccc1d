"""Tasks whose Environment puts software in place: environment modules, a venv, shell lines.
The tests make the module files and venvs and name them through environment variables."""
import os
import shutil
import subprocess
import sys

from hpcflow import Environment, task, workflow

TOOLS = Environment("tools", modules=["hftool/1.0"], env_vars={"MODULEPATH": os.environ.get("HF_TEST_MODULEPATH", "")})
OWN_VENV = Environment("own-venv", venv=os.environ.get("HF_TEST_VENV", "/nonexistent"),
                       preamble='export HF_PREAMBLE="after activation: $VIRTUAL_ENV"')
NO_MODULE = Environment("missing", modules=["no-such-module/9"],
                        env_vars={"MODULEPATH": os.environ.get("HF_TEST_MODULEPATH", "")})


@task(environment=TOOLS)
def run_tool(x: int) -> str:
    """hftool comes from the module's PATH only."""
    return subprocess.run([shutil.which("hftool") or "hftool-missing", str(x)], capture_output=True, text=True,
                          check=True).stdout.strip()


@task(environment=OWN_VENV)
def which_python() -> str:
    return f"{sys.prefix}|{os.environ.get('HF_PREAMBLE')}"


@task(environment=NO_MODULE)
def never_runs() -> int:
    return 1


@workflow
def tool_wf(x: int = 4) -> str:
    return run_tool(x=x)


@workflow
def venv_wf() -> str:
    return which_python()


@workflow
def missing_module_wf() -> int:
    return never_runs()
