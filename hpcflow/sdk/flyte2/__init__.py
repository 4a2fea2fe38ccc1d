"""Flyte 2's programming model (the `flyte` SDK): `import hpcflow as flyte`.

A Flyte 2 task is an ordinary Python function, usually `async`, that calls other tasks,
loops, branches and awaits `asyncio.gather` over them. The modules:

- options.py   Cache, RetryStrategy, Timeout, Image, Secret: the options a task environment takes,
               and how they become hpcflow's TaskSpec.
- task.py      TaskEnvironment and its `@env.task`; the task object and how calling it behaves
               (inside a running task a call is a *child call*, outside one a plain function call).
- action.py    the running task's context: flyte.ctx(), flyte.group(...).
- children.py  THE SEAM: every child call of every parent goes through `submit_child`, which
               hands it to the run's ChildRunner. A runner decides how a child runs.
- local.py     LocalRunner: children run in this process, concurrently on one event loop (sync
               tasks in threads), with retries, timeouts, the cache and Flyte 2's errors.
- mapping.py   flyte.map: iterated, awaited or `async for`-ed.
- runs.py      flyte.init / init_from_config / run / with_runcontext and the Run a run returns.

A Slurm runner (the parent's waves, DESIGN.md) implements ChildRunner and is chosen in
runs.py's `runner_for(mode)`; nothing else needs to change.
"""
