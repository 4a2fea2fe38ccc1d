"""`from flytekit.extras.tasks.shell import ShellTask, OutputLocation` becomes `from hpcflow.extras.tasks.shell import ...`."""
from hpcflow.sdk.shell import OutputLocation, ShellScriptError, ShellTask, kwtypes

__all__ = ["ShellTask", "OutputLocation", "ShellScriptError", "kwtypes"]
