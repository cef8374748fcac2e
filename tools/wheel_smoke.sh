#!/usr/bin/env bash
# Build the wheel, install it alone in a fresh environment (runtime requirements only: the newest fastai that resolves),
# and run tools/smoke.py there: public API, CLI, and a tiny end-to-end run. Proves `pip install nervenet` is real.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"${VENV:-.venv}/bin/python" -m build --wheel --outdir "$tmp/dist" . >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
python3 -m venv "$tmp/venv"
pip() { "$tmp/venv/bin/python" -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "is ignored: it is neither" >&2); }
pip install -U pip
pip install torch==2.13.0 torchvision==0.28.0
pip install "$tmp"/dist/*.whl
cp tools/smoke.py "$tmp/"
cd "$tmp" && PATH="$tmp/venv/bin:$PATH" MPLBACKEND=Agg python smoke.py
