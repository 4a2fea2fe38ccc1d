#!/usr/bin/env bash
# The test command: make sure the test Slurm cluster answers, then run every test.
# Slurm tests fail (never skip) when the cluster is down; as root this starts it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! timeout 5 scontrol ping 2>/dev/null | grep -q UP; then
  if [[ $(id -u) -eq 0 ]]; then
    scripts/dev-cluster.sh >/dev/null
  else
    echo "the test Slurm cluster is not running; start it with: sudo scripts/dev-cluster.sh" >&2
  fi
fi
exec .venv/bin/python -m pytest -q "$@"
