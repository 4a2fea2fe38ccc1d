#!/usr/bin/env bash
# The test command. Tests submit to the single-node test Slurm cluster as an ordinary user, as on
# a real cluster, and fail (never skip) when it cannot be reached.
# - Run as root (a fresh machine, CI): starts the cluster (three nodes, node1..node3, each slurmd in a
#   network namespace of its own, so that multi-node tasks really cross nodes) if it is not up with memory enforced,
#   with the test users (hpcflow-ci runs the tests; hpcflow-ci2, a colleague in its group, reads
#   its shared cache through a sudo rule), builds the container images of the tests
#   (scripts/test-image.sh), gives hpcflow-ci a copy of this checkout, builds the
#   wheel there, installs it (not editable) and runs this script again as hpcflow-ci.
# - Run as an ordinary user: runs the tests against this checkout's .venv.
# Tests run side by side (HPCFLOW_TEST_WORKERS, default 3: most of a Slurm test is waiting on
# Slurm); tests marked `exclusive` take the whole cluster (tests/slurm/conftest.py). They run from
# outside the checkout with PYTHONSAFEPATH, so `import hpcflow` (in the tests, the CLI and the
# jobs) finds the installed package, never the source tree next to it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TEST_USER=hpcflow-ci OTHER_USER=hpcflow-ci2 SHARE_GROUP=hpcflow-share
if [[ $(id -u) -eq 0 ]]; then
  # a cluster that enforces --mem (a real OUT_OF_MEMORY), with the test users and the capped QoS
  if ! timeout 5 scontrol ping 2>/dev/null | grep -q UP || \
     ! timeout 5 scontrol show config 2>/dev/null | grep -qi "CR_Core_Memory" || \
     ! id -nG "$OTHER_USER" 2>/dev/null | grep -qw "$SHARE_GROUP" || \
     ! sacctmgr -n -P show assoc where user="$TEST_USER" format=qos 2>/dev/null | grep -q capped || \
     [[ $(sinfo -h -N -o %N 2>/dev/null | sort -u | wc -l) -ne 3 ]]; then
    scripts/dev-cluster.sh --clean --nodes 3 --enforce-memory --user "$TEST_USER" --user "$OTHER_USER" --share-group "$SHARE_GROUP" >/dev/null
  fi
  # jobs a stopped test run left queued would share the node with this one (and fill it before the
  # tests that need it whole): the test users' jobs are the tests' own
  scancel -u "$TEST_USER" 2>/dev/null || true; scancel -u "$OTHER_USER" 2>/dev/null || true
  for _ in $(seq 120); do
    [[ -z $(squeue -h -u "$TEST_USER,$OTHER_USER" -o %i 2>/dev/null) ]] && break; sleep 0.5
  done
  # the container images of the container_image= tests (cached; hpcflow in them refreshed when it changed)
  scripts/test-image.sh >/dev/null
  # sudo: the colleague user; Open MPI: the MPI tasks' ranks (mpi4py, in the test extras, loads it);
  # environment-modules: the `module load` of a task's Environment; tmux: a terminal for `status --watch`;
  # chromium: a browser to render `hpcflow report`'s HTML in
  if ! command -v sudo >/dev/null || ! command -v mpiexec >/dev/null || [[ ! -f /etc/profile.d/modules.sh ]] || \
     ! command -v tmux >/dev/null || ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sudo openmpi-bin libopenmpi3 \
      environment-modules tmux chromium >/dev/null
  fi
  printf '%s ALL=(%s) NOPASSWD: ALL\n' "$TEST_USER" "$OTHER_USER" > /etc/sudoers.d/hpcflow-ci
  chmod 0440 /etc/sudoers.d/hpcflow-ci
  home=$(getent passwd "$TEST_USER" | cut -d: -f6)
  copy="$home/hpcflow"  # its .venv is kept from one run to the next; everything else is this checkout
  mkdir -p "$copy"
  find "$copy" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
  tar --exclude=./.venv --exclude=./build -cf - . | tar -C "$copy" -xf -
  chown -R "$TEST_USER:" "$copy"
  chmod 0755 "$home"  # the colleague runs the same installed hpcflow and reads the test workflows
  quoted=$( (($#)) && printf ' %q' "$@" || true)
  exec runuser -l "$TEST_USER" -c "set -euo pipefail; cd '$copy'
export HPCFLOW_TEST_OTHER_USER='$OTHER_USER' HPCFLOW_TEST_SHARE_GROUP='$SHARE_GROUP' HPCFLOW_TEST_WORKERS='${HPCFLOW_TEST_WORKERS:-3}'
[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/pip install -q build
wheels=\$(mktemp -d)
.venv/bin/python -m build -q --wheel --outdir \"\$wheels\" . >/dev/null
.venv/bin/pip install -q --force-reinstall --no-deps \"\$(ls \"\$wheels\"/hpcflow_slurm-*.whl)\"
.venv/bin/pip install -q \"\$(ls \"\$wheels\"/hpcflow_slurm-*.whl)[test]\"
.venv/bin/pip install -q torch==2.13.0  # the guide's training task (tests/workflows/guide_optimizing.py); CPU build
rm -rf \"\$wheels\" build
scripts/test.sh$quoted"
fi
if ! timeout 5 scontrol ping 2>/dev/null | grep -q UP || \
   ! timeout 5 scontrol show config 2>/dev/null | grep -qi "CR_Core_Memory"; then
  echo "the test Slurm cluster is not running with memory enforced; start it (as root) with: scripts/test.sh, or" \
       "scripts/dev-cluster.sh --nodes 3 --enforce-memory --user $USER --user $OTHER_USER --share-group $SHARE_GROUP" >&2
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
