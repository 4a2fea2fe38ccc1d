"""The part of an element that runs inside its image: one call of the task's function.

    python3 -m hpcflow.runtime.in_container ELEMENT/container/call.json

runtime/container.py, on the host, wrote the call and reads the result. This side imports only
what the call needs: the user's pinned code, the value codec and the trace log. It writes
result.json atomically, `{"outputs": {...}}` or `{"error": {"type", "message", "traceback",
"recoverable"}}`, and exits 0 either way; a missing result tells the host that Python or hpcflow
could not start here.
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

PROTOCOL = 1  # runtime/container.py's


def main(argv: list[str] | None = None) -> int:
    """Run the call described by the file argv[0]; 0 once a result is written."""
    args = sys.argv[1:] if argv is None else argv
    call = json.loads(Path(args[0]).read_text())
    from hpcflow.store import atomic

    counts = [0, 0]
    try:
        if call.get("protocol") != PROTOCOL:
            import hpcflow

            raise RuntimeError(f"hpcflow {hpcflow.__version__} in this image speaks call protocol {PROTOCOL}, the "
                               f"host's {call.get('protocol')}; install the host's hpcflow-slurm version in the image")
        outputs = _call(call, counts)
        result: dict[str, Any] = {"outputs": outputs}
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the host
        from hpcflow.core.retry import is_recoverable

        result = {"error": {"type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc(),
                            "recoverable": is_recoverable(exc)}}
    result.update(trace_executed=counts[0], trace_replayed=counts[1])
    atomic.write_json(Path(call["result"]), result)
    return 0


def _call(call: dict[str, Any], counts: list[int]) -> dict[str, Any]:
    from hpcflow.core.plan import EntityRef
    from hpcflow.loader import load_file, resolve_entity
    from hpcflow.sdk.context import CURRENT, ExecutionId, ExecutionParameters
    from hpcflow.sdk.image_spec import IMAGE_ENV
    from hpcflow.sdk.trace import TraceLog, tracing
    from hpcflow.store.blobs import BlobStore
    from hpcflow.store.codec import decode, encode

    os.environ.update(call["environment"])  # the task's environment=, whatever the runtime passes on
    os.environ[IMAGE_ENV] = call["image"]  # ImageSpec.is_container()
    try:  # the host's working folder, when the container sees it (as the function would on the host)
        os.chdir(call["cwd"])
    except OSError:
        os.chdir(call["element"])
    if call["file"]:
        load_file(call["file"], call["module"])
    task = resolve_entity(EntityRef(**call["entity"]))
    blobs = BlobStore(Path(call["blobs"]))  # the host runs only its own user's run: its pickles are theirs
    inputs = {name: decode(value, blobs) for name, value in call["inputs"].items()}
    log = TraceLog(Path(call["trace"]), blobs) if call["trace"] else None
    token = CURRENT.set(ExecutionParameters(ExecutionId(call["run_id"]), folder=Path(call["element"])))
    try:
        if log is None:
            result = task.fn(**task.interface.adapt(inputs))
        else:
            with tracing(log):
                result = task.fn(**task.interface.adapt(inputs))
    finally:
        CURRENT.reset(token)
        if log is not None:
            counts[:] = [log.executed, log.replayed]
    return {name: encode(value, blobs) for name, value in task.interface.split(result, call["where"]).items()}


if __name__ == "__main__":
    sys.exit(main())
