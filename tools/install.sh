#!/usr/bin/env bash
# Create a virtual environment and install nervenet into it, without pulling CUDA packages on a CPU machine.
#   bash tools/install.sh            runtime install (pip install -e .)                      -> .venv
#   bash tools/install.sh --dev      plus the pinned nbdev 2 development stack (constraints-dev.txt)
#   VENV=path bash tools/install.sh  another location (.ci/run uses a fresh one)
# torch: an environment that already has torch (Colab, a GPU box) keeps it. Otherwise torch==2.13.0 and
# torchvision==0.28.0 (the release that requires exactly that torch) are installed first: fastai asks for torchvision,
# and an unpinned torchvision pulls the newest torch with gigabytes of CUDA packages. nervenet never imports torchvision.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
DEV=0; [ "${1:-}" = "--dev" ] && DEV=1
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
# pip's own noise is dropped from stderr: the "is ignored" notes, and setuptools' editable-install advice block (it warns
# about folders named like the package in the working directory, which is how an editable install is meant to work here)
quiet() { awk '/BuildBackendWarning: Editable installation/{skip=1} !skip && !/is ignored: it is neither/{print} /with strategy, WheelFile/{skip=0}'; }
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" 2> >(quiet >&2); }
pip install -U pip setuptools wheel
"$VENV/bin/python" -c "import torch" 2>/dev/null || pip install "torch==${TORCH_VERSION:-2.13.0}" "torchvision==${TORCHVISION_VERSION:-0.28.0}"
if [ $DEV = 1 ]; then pip install -c constraints-dev.txt -e ".[dev]"; else pip install -e .; fi
"$VENV/bin/python" -c "import torch, fastai, nervenet; print(f'nervenet {nervenet.__version__}: torch {torch.__version__}, fastai {fastai.__version__} in $VENV')"
