#!/usr/bin/env bash
# Download into .whl/ every wheel that nervenet, its benchmarks and its notebook tests need on the lent GPU machine (the
# device tool: CPython 3.12, x86-64, no network) and that the machine's image lacks. Each device call then names `.whl`
# in `carry` and runs `bash tools/gpu_run.sh STAGE`, which installs them with pip --no-index --no-deps --target.
#   bash tools/gpu_wheels.sh                                 -> .whl/ for the device (cp312)
#   PYVER=3.11.7 DEST=/tmp/whl311 bash tools/gpu_wheels.sh   -> the same set for a local Python 3.11 check
# (PYVER may name the micro version, which pip checks against Requires-Python: it reads "3.11" as 3.11.0)
# Versions: the pins of constraints-dev.txt (the development stack tools/install.sh installs), one version of each.
# Not carried (the image has them): torch, torchvision, numpy, scipy, pandas, matplotlib, pillow, pyyaml, packaging,
# requests, httpx, anyio, rich, psutil, pygments, typing-extensions, scikit-learn, cloudpickle, setuptools, build, six,
# wheel, python-dateutil, jinja2, uvloop, ... (KINDS.md's list). Not carried either: fastai's spacy (fastai.text only),
# SimpleITK (cells of 14_batch; medpy.io only), ipykernel/jupyter_client/pyzmq (execnb runs notebooks in-process).
# DEST is emptied of *.whl first, so it never holds two versions of a package.
set -euo pipefail
cd "$(dirname "$0")/.."
PYVER=${PYVER:-3.12}
DEST=${DEST:-.whl}
PY=${PYTHON:-python3}

# The closure found by importing and running (tools/gpu_run.sh's stages, run on a CPU with these wheels and nothing but
# torch and the image's packages): names as in constraints-dev.txt; a name missing there needs NAME==VERSION here.
PKGS=(
  # runtime (settings.ini requirements) and what importing nervenet.* pulls in
  fastai fastcore fasttransform plum-dispatch beartype fastdownload fastprogress nibabel dcm2niix ipywidgets comm traitlets
  # fastprogress 1.1 imports fasthtml (from fasthtml.common import *), which imports starlette, fastlite, ... at import
  python-fasthtml starlette itsdangerous python-multipart fastlite apswutils apsw
  # IPython: fastai/fastprogress display, nbdev.showdoc, execnb's in-process shell; stack_data & co. format tracebacks
  ipython matplotlib-inline stack-data executing pure_eval asttokens
  # notebooks as tests (tools/test_nbs.py: nbdev 2's test_nb through execnb; the notebooks' nbdev_export)
  nbdev execnb ghapi fastspec astunparse
  # tests and benchmarks: pydicom (07_dicom writes DICOM series), medpy (bench/metrics.py, 02_metrics; sdist, built below)
  pydicom
)
# Declared dependencies left out because nothing above imports them (checked): jedi+parso (completion, 5 MB),
# prompt_toolkit+wcwidth (terminal IPython), pexpect+ptyprocess (IPython's `!cmd`), ipython_pygments_lexers,
# widgetsnbextension+jupyterlab_widgets (front-end files), nbdev's watchdog and fastgit, fasthtml's uvicorn, oauthlib,
# beautifulsoup4 and httpx2 (a web server and clients). Add one to PKGS if a stage ever fails with its ImportError.
case $PYVER in 3.1[0-1]|3.1[0-1].*) PKGS+=(importlib_resources);; esac  # nibabel needs it below Python 3.12

pin() {  # NAME -> NAME==VERSION from constraints-dev.txt (names compared case-, '-'/'_'/'.'-insensitively)
  case $1 in *==*) echo "$1"; return;; esac
  local norm v
  norm=$(echo "$1" | tr 'A-Z_.' 'a-z--')
  v=$(awk -F'==' -v n="$norm" '{k=tolower($1); gsub(/[_.]/, "-", k)} k==n {print $2}' constraints-dev.txt)
  [ -n "$v" ] || { echo "gpu_wheels: no pin for $1 in constraints-dev.txt" >&2; exit 1; }
  echo "$1==$v"
}

mkdir -p "$DEST"
rm -f "$DEST"/*.whl
specs=()
for p in "${PKGS[@]}"; do specs+=("$(pin "$p")"); done
plat=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
      --platform manylinux2014_x86_64 --platform manylinux1_x86_64)
quiet() { grep -v -e 'is ignored: it is neither' -e '^$' >&2 || true; }
echo "downloading ${#specs[@]} wheels for CPython $PYVER manylinux x86_64 into $DEST"
"$PY" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --python-version "$PYVER" \
  --implementation cp "${plat[@]}" -d "$DEST" "${specs[@]}" 2> >(quiet)

# MedPy publishes an sdist only: build a pure-Python wheel (CC/CXX=false make its optional graphcut C++ extension fail,
# and its setup.py then retries without it; medpy.metric, all that nervenet's benchmark and notebooks use, is pure Python)
medpy=$(pin MedPy)
echo "building $medpy as a pure-Python wheel (without medpy.graphcut's C++ maxflow extension)"
CC=false CXX=false "$PY" -m pip wheel -q --disable-pip-version-check --no-deps --no-binary=:all: -w "$DEST" "$medpy" \
  >/dev/null 2> >(quiet)
wheels() { local f; for f in "$DEST"/*.whl; do [ -e "$f" ] && printf '%s\n' "${f##*/}"; done; return 0; }
wheels | grep -i '^medpy-.*-py3-none-any\.whl$' >/dev/null || { echo "gpu_wheels: MedPy did not build as py3-none-any" >&2; exit 1; }

# checks: one version per package, nothing that pulls CUDA, total size
dups=$(wheels | cut -d- -f1 | tr 'A-Z.' 'a-z_' | sort | uniq -d)
[ -z "$dups" ] || { echo "gpu_wheels: several versions of: $dups" >&2; exit 1; }
if wheels | grep -iE '^(torch|torchvision|triton|nvidia_|cuda_|numpy|scipy|pandas)-' >&2; then
  echo "gpu_wheels: a package the image has (or a CUDA one) slipped in" >&2; exit 1; fi
n=$(wheels | wc -l)
mib=$(du -cb "$DEST"/*.whl | tail -1 | awk '{printf "%.1f MiB", $1/1048576}')
echo "$n wheels in $DEST, $mib in total (the device tool carries 64 MiB with the working tree):"
wheels | sed 's/^/  /'
