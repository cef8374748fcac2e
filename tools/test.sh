#!/usr/bin/env bash
# The test command (README, .ci/run): install the pinned dev stack into $VENV, then
#  1. nbdev_export leaves nervenet/ unchanged and nbdev_clean leaves nbs/ unchanged (the package matches the notebooks);
#  2. the wheel installs alone in a fresh environment (runtime requirements, newest resolvable fastai) and passes a smoke test;
#  3. every notebook runs as a test on the CPU with the default flags (cells marked slow/gpu/notest skipped);
# and end with `notebooks: N passed, M failed`. Any failure exits non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."
export VENV=${VENV:-.venv}
bash tools/install.sh --dev || { echo "install failed"; exit 1; }
export PATH="$PWD/$VENV/bin:$PATH" MPLBACKEND=Agg PYTHONHASHSEED=0
fail=()
changed() { git status --porcelain --untracked-files=all -- "$@"; }
before_lib=$(changed nervenet); before_nbs=$(changed nbs)
nbdev_export && [ "$(changed nervenet)" = "$before_lib" ] && echo "check ok: nbdev_export leaves nervenet/ unchanged" \
  || { echo "check FAILED: nbdev_export changed nervenet/ (run nbdev_export and commit)"; git --no-pager diff --stat -- nervenet; fail+=(export); }
nbdev_clean && [ "$(changed nbs)" = "$before_nbs" ] && echo "check ok: nbdev_clean leaves nbs/ unchanged" \
  || { echo "check FAILED: nbdev_clean changed nbs/ (run nbdev_clean and commit)"; git --no-pager diff --stat -- nbs; fail+=(clean); }
if [ "${NERVENET_SKIP_WHEEL:-0}" != 1 ]; then
  bash tools/wheel_smoke.sh && echo "check ok: wheel installs alone and passes the smoke test" || { echo "check FAILED: wheel smoke test"; fail+=(wheel); }
fi
python tools/test_nbs.py "$@"; nb=$?
[ ${#fail[@]} -eq 0 ] || echo "failed checks: ${fail[*]}"
[ $nb -eq 0 ] && [ ${#fail[@]} -eq 0 ]
