#!/usr/bin/env bash
# The container images the tests run tasks in (tests/test_container*.py), built as root without
# network access beyond this machine's apt mirror and package index. scripts/test.sh runs it
# before the tests; a developer runs it once with `sudo scripts/test-image.sh`.
#
#   /var/lib/hpcflow-test-images/python   Debian 12 (debootstrap minbase + python3) with hpcflow and its
#                                         dependencies, and /etc/hpcflow-test-image, a file only it has
#   /var/lib/hpcflow-test-images/torch    the python image with PyTorch (CPU): the guide's training task
#                                         (tests/workflows/guide_optimizing.py)
#   /var/lib/hpcflow-test-images/busybox  busybox alone: an image without Python
#
# Idempotent and cached: the Debian root filesystem and hpcflow's dependencies are made once
# (~1 min); hpcflow itself is reinstalled only when this checkout's package differs from the one
# in the image (a stamp of its files' hashes), so the image runs the code under test.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGES=/var/lib/hpcflow-test-images  # site-configs/dev-cluster.toml and tests/workflows/containers.py name it
PY_IMAGE=$IMAGES/python BB_IMAGE=$IMAGES/busybox TORCH_IMAGE=$IMAGES/torch
TORCH=torch==2.13.0  # the CPU build that lies on this machine's disk (and in the test venv, scripts/test.sh)
SITE_PACKAGES=usr/local/lib/python3.11/dist-packages  # Debian 12's python3 is 3.11, as the host's must be
umask 022

[[ $(id -u) -eq 0 ]] || { echo "run as root: debootstrap needs it" >&2; exit 1; }
for tool in debootstrap busybox; do
  command -v "$tool" >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap busybox-static >/dev/null; break; }
done
command -v ch-run >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq charliecloud-runtime >/dev/null
host_py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ $host_py == 3.11 ]] || { echo "the host's python3 is $host_py; the image's is 3.11: install the packages with a 3.11" >&2; exit 1; }
mkdir -p "$IMAGES"
work=$(mktemp -d "$IMAGES/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The apt mirror this machine uses for bookworm (deb822 .sources files, else sources.list lines).
mirror() {
  local uri
  uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# What ch-run binds over: it needs the mount points to exist in the image.
mount_points() {
  mkdir -p "$1"/{dev,proc,sys,etc,tmp,home,mnt,run,var/tmp,root}
  touch "$1"/etc/{passwd,group,hosts,resolv.conf}
}

if [[ ! -e $BB_IMAGE/bin/busybox ]]; then
  mkdir -p "$work/busybox/bin"
  cp "$(command -v busybox)" "$work/busybox/bin/busybox"
  for tool in sh ls cat echo true; do ln -s busybox "$work/busybox/bin/$tool"; done
  mount_points "$work/busybox"
  rm -rf "$BB_IMAGE"; mv "$work/busybox" "$BB_IMAGE"
fi

quiet() { grep -v -e "^WARNING: Location" -e "^WARNING: Target directory" >&2 || true; }  # pip's notes on local indexes
# A scratch venv whose pip installs into the image (the host's pip may be absent or externally managed).
venv() { [[ -x $work/venv/bin/pip ]] || python3 -m venv "$work/venv"; echo "$work/venv/bin/pip"; }
wheel() {  # hpcflow's wheel, built from a copy (once): nothing is written into the checkout
  ls "$work/wheel"/hpcflow_slurm-*.whl 2>/dev/null && return
  mkdir -p "$work/src" "$work/wheel"
  tar -C "$ROOT" --exclude=./.venv --exclude=./build --exclude=./.git -cf - . | tar -C "$work/src" -xf -
  "$(venv)" wheel -q --no-deps -w "$work/wheel" "$work/src" >/dev/null 2> >(quiet)
  ls "$work/wheel"/hpcflow_slurm-*.whl
}

if [[ ! -e $PY_IMAGE/etc/hpcflow-test-image ]]; then
  debootstrap --variant=minbase --include=python3 bookworm "$work/python" "$(mirror)" >/dev/null
  mount_points "$work/python"
  "$(venv)" install -q --target "$work/python/$SITE_PACKAGES" "$(wheel)" 2> >(quiet)  # hpcflow and its dependencies
  echo "hpcflow test image: only tasks that run inside it can read this" > "$work/python/etc/hpcflow-test-image"
  rm -rf "$PY_IMAGE"; mv "$work/python" "$PY_IMAGE"
fi

if [[ ! -e $TORCH_IMAGE/etc/hpcflow-test-image-torch ]]; then
  cp -a "$PY_IMAGE" "$work/torch"
  "$(venv)" install -q --target "$work/torch/$SITE_PACKAGES" "$TORCH" 2> >(quiet)
  echo "$TORCH" > "$work/torch/etc/hpcflow-test-image-torch"
  rm -rf "$TORCH_IMAGE"; mv "$work/torch" "$TORCH_IMAGE"
fi

stamp=$(cd "$ROOT" && find hpcflow pyproject.toml -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 \
        | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
for image in "$PY_IMAGE" "$TORCH_IMAGE"; do
  if [[ $(cat "$image/etc/hpcflow-test-image-source" 2>/dev/null) != "$stamp" ]]; then
    "$(venv)" install -q --no-deps --upgrade --target "$image/$SITE_PACKAGES" "$(wheel)" 2> >(quiet)
    echo "$stamp" > "$image/etc/hpcflow-test-image-source"
  fi
done
chmod -R a+rX "$PY_IMAGE/$SITE_PACKAGES" "$TORCH_IMAGE/$SITE_PACKAGES" "$BB_IMAGE"
echo "test images: $PY_IMAGE (python, hpcflow), $TORCH_IMAGE (and torch), $BB_IMAGE (no python)"
