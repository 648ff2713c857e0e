#!/usr/bin/env bash
# One call that proves cudnn-resolve's GPU paths on the machine it runs on (docs/verified.md).
#
#   benchmarks/gpu_wheelhouse.sh              # beforehand, where the package index is reachable
#   benchmarks/gpu_validation.sh [OUTDIR]     # on the GPU machine (no index needed)
#
# Installs cudnn-resolve and its test dependencies from the wheelhouse into a throw-away venv (never
# into the environment under test), then runs benchmarks/gpu_validation.py: doctor, check of the target
# environment with the cuDNN its wheels pin, the probe's conv2d on the GPU for every framework there,
# pins with the detected host, and (CR_TESTS=1) the offline test suite. Reports go to OUTDIR (default:
# $OUT where set, else ./gpu-validation-out). Without a GPU the same reports say "no GPU".
#
# Settings (environment):
#   CR_TARGET_PYTHON  the environment to check (default /opt/torch/.venv/bin/python, else python3)
#   CR_BASE_PYTHON    the interpreter the tool's venv is made from (default: CR_TARGET_PYTHON)
#   CR_WHEELHOUSE     the wheelhouse (default .gpu-wheelhouse)
#   CR_TESTS          1 to run the offline tests too
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-${OUT:-$root/gpu-validation-out}}
target=${CR_TARGET_PYTHON:-/opt/torch/.venv/bin/python}
[ -x "$target" ] || target=$(command -v python3)
base=${CR_BASE_PYTHON:-$target}
wheelhouse=${CR_WHEELHOUSE:-$root/.gpu-wheelhouse}
if ! ls "$wheelhouse"/cudnn_resolve-*.whl >/dev/null 2>&1; then
    echo "no cudnn-resolve wheel in $wheelhouse: run benchmarks/gpu_wheelhouse.sh first" >&2
    exit 2
fi

work=$(mktemp -d -t cudnn-resolve-gpu-XXXXXX)
trap 'rm -rf "$work"' EXIT
SECONDS=0
install=(install --quiet --disable-pip-version-check --no-index --find-links "$wheelhouse" 'cudnn-resolve[test]')
if "$base" -m venv "$work/venv" 2>/dev/null; then
    "$work/venv/bin/python" -m pip "${install[@]}"
else
    # A distribution's Python may lack ensurepip: make the venv without pip and install with the base's.
    rm -rf "$work/venv"
    "$base" -m venv --without-pip "$work/venv"
    "$base" -m pip --python "$work/venv/bin/python" "${install[@]}"
fi
echo "installed cudnn-resolve from $wheelhouse in ${SECONDS} s" >&2

args=("$out" --target-python "$target")
[ "${CR_TESTS:-0}" = 1 ] && args+=(--tests)
cd "$root"
"$work/venv/bin/python" "$root/benchmarks/gpu_validation.py" "${args[@]}"
