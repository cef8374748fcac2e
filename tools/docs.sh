#!/usr/bin/env bash
# Documentation without Quarto or network: README.md from nbs/index.ipynb, the site in docs/ from every notebook's saved
# outputs, then the site checked in headless Chromium (pages load, images render, links resolve, nothing leaves
# localhost). Needs Chromium for the check: apt-get install -y chromium (or CHROMIUM=/path/to/chrome).
#   bash tools/docs.sh                  extra arguments go to tools/check_docs.py (e.g. --shots DIR --pages "*")
# On GitHub the published site is rendered by Quarto instead (nbdev_docs, .github/workflows/deploy.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
"$PY" tools/make_readme.py
"$PY" tools/build_docs.py
"$PY" tools/check_docs.py "$@"
