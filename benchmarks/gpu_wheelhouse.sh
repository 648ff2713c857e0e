#!/usr/bin/env bash
# Build the wheelhouse that benchmarks/gpu_validation.sh installs from, on a machine that reaches the
# package index, for a machine that reaches none (the GPU machine: x86-64 Linux, Python 3.12 by default).
#
#   benchmarks/gpu_wheelhouse.sh [PYTHON_VERSION [DIR]]     # default: 3.12 .gpu-wheelhouse
#
# It holds this checkout's wheel and every wheel that `cudnn-resolve[test]` needs on that Python
# (binary wheels only, manylinux x86-64), about 45 MB: uv and py-rattler are most of it. The directory
# is ignored by git (.gpu-wheelhouse/ in .gitignore) and is carried to the GPU machine beside the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-3.12}
dir=${2:-.gpu-wheelhouse}
python=${PYTHON:-python3}

rm -rf "$dir"
mkdir -p "$dir"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$dir" .
wheel=$(ls "$dir"/cudnn_resolve-*.whl)
"$python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
    --python-version "$version" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --dest "$dir" "$wheel[test]"
echo "wheelhouse for Python $version: $dir ($(ls "$dir" | wc -l) wheels, $(du -sh "$dir" | cut -f1))"
