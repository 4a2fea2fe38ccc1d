#!/usr/bin/env bash
# The test command: make sure the test Slurm cluster answers, then run every test.
# Slurm tests fail (never skip) when the cluster is down; as root this starts it.
# Tests run side by side (HPCFLOW_TEST_WORKERS, default 3: most of a Slurm test is waiting on
# Slurm); tests marked `exclusive` take the whole cluster (tests/slurm/conftest.py).
# They run from outside the checkout with PYTHONSAFEPATH, so `import hpcflow` (in the tests, the
# CLI and the jobs) finds the installed package, never the source tree next to it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# The tests need a cluster that enforces --mem (a real OUT_OF_MEMORY): start one, or restart
# one that does not enforce it.
if ! timeout 5 scontrol ping 2>/dev/null | grep -q UP || \
   ! timeout 5 scontrol show config 2>/dev/null | grep -qi "CR_Core_Memory"; then
  if [[ $(id -u) -eq 0 ]]; then
    scripts/dev-cluster.sh --enforce-memory >/dev/null
  else
    echo "the test Slurm cluster is not running with memory enforced; start it with: sudo scripts/dev-cluster.sh --enforce-memory" >&2
  fi
fi
args=()
for arg in "$@"; do  # test paths are given relative to the checkout
  if [[ $arg != -* && -e $ROOT/${arg%%::*} ]]; then args+=("$ROOT/$arg"); else args+=("$arg"); fi
done
[[ ${#args[@]} -eq 0 || ! " ${args[*]} " =~ " $ROOT/tests" ]] && args=("$ROOT/tests" "${args[@]}")
cd "${TMPDIR:-/tmp}"
export PYTHONSAFEPATH=1
exec "$ROOT/.venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir "$ROOT" -c "$ROOT/pyproject.toml" \
  -n "${HPCFLOW_TEST_WORKERS:-3}" --durations=15 "${args[@]}"
