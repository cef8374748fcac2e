#!/usr/bin/env bash
# What each call of the device tool runs on the lent GPU machine (bench/README.md, "On a lent GPU machine"):
#   bash tools/gpu_run.sh STAGE [STAGE ...]       e.g. `bash tools/gpu_run.sh smoke gpu-cells`, with carry [".whl"]
# Stages (device minutes on one H200 are estimates until a first run replaces them):
#   info       only the set-up below: install .whl/, GPU/torch/CUDA facts, import every nervenet module       (~0.5 min)
#   smoke      bench/run_all.py --smoke (tiny sizes, nothing saved): every benchmark script runs on cuda    (~1-2 min)
#   gpu-cells  the notebooks with `#| gpu` cells, as tests with those cells on (tools/test_nbs.py --flags gpu) (~1-2 min)
#   bench      metrics, memory, then inference (run_all.py --only ..., full sizes), each step timed out alone (~4-8 min)
#   inference  bench/inference.py alone, with all the time left (two torch.compile runs: the uncertain part)   (~3-6 min)
#   metrics | memory | train     one benchmark each (train: bench/training.py, both crops)              (~0.5 / 0.5 / 1-3 min)
#   train-compile                bench/training.py --compile (torch.compile'd training step)                 (~2-5 min)
# Every stage of one device command shares one time budget (GPU_RUN_BUDGET, 560 s from the first gpu_run.sh of that
# command, also across `bash tools/gpu_run.sh a && bash tools/gpu_run.sh b`), so the command ends inside the tool's
# 600 s: each step runs under `timeout` with what is left, and a step that no longer fits is skipped with a note.
# Back in $OUT (at most 8 files): info.log, <stage>.log per stage, and each bench/results/<name>.json this command
# appended to (the whole file: the records the working copy had plus the new ones). Here, bring those back with
#   .venv/bin/python tools/gpu_results.py FILES_AT          (or cp FILES_AT/*.json bench/results/ when nothing changed here since)
# Off the device (to check this script): OUT=/tmp/gpuout GPU_RUN_DEVICE=cpu WHL=/tmp/whl311 PYTHON=/tmp/kitvenv/bin/python
# SITE=/tmp/site311 bash tools/gpu_run.sh smoke     (WHL: wheels for that Python, from PYVER=3.11.7 DEST=... gpu_wheels.sh;
# empty $OUT before each command, as the device does). Results are appended to bench/results/: run it in a copy.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
OUT=${OUT:-/tmp/gpu_run_out}; mkdir -p "$OUT"
PY=${PYTHON:-python3}
WHL=${WHL:-.whl}
SITE=${SITE:-/tmp/site}
DEV=${GPU_RUN_DEVICE:-cuda}
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg PYTHONPATH="$SITE:$ROOT"
STAGES=(info smoke gpu-cells bench inference metrics memory train train-compile)
[ $# -ge 1 ] || { echo "usage: bash tools/gpu_run.sh STAGE [STAGE ...]; stages: ${STAGES[*]}"; exit 2; }
for s in "$@"; do
  [[ " ${STAGES[*]} " == *" $s "* ]] || { echo "gpu_run: unknown stage '$s' (stages: ${STAGES[*]})"; exit 2; }
done

# one budget per device command: $OUT starts empty in every device command, so an info.log already there means an
# earlier gpu_run.sh of this same command (a && b) stamped the start; otherwise this one does
stamp=/tmp/gpu_run.start
now() { date +%s; }
if [ -f "$OUT/info.log" ] && [ -f "$stamp" ] && (( $(now) - $(cat "$stamp") < 600 )); then START=$(cat "$stamp")
else START=$(now); echo "$START" >"$stamp"; fi
DEADLINE=$(( START + ${GPU_RUN_BUDGET:-560} ))
left() { echo $(( DEADLINE - $(now) )); }

log() { echo "[gpu_run $(date -u +%H:%M:%S), $(( $(now) - START )) s] $*"; }

# step LOG CAP NAME CMD...: run CMD under timeout min(CAP, time left), its output appended to $OUT/LOG
FAILED=()
step() {
  local logf=$OUT/$1 cap=$2 name=$3; shift 3
  local t; t=$(left); (( t > cap )) && t=$cap
  if (( t < 20 )); then
    log "SKIPPED $name: $(left) s left of the budget; run it in a call of its own" | tee -a "$logf"; FAILED+=("$name(skipped)"); return 1
  fi
  log "START $name (timeout ${t} s): $*" | tee -a "$logf"
  local t0 rc; t0=$(now)
  timeout -k 10 "$t" "$@" 2>&1 | tee -a "$logf"; rc=$?
  if (( rc == 124 || rc == 137 )); then log "TIMEOUT $name after $(( $(now) - t0 )) s (limit ${t} s)" | tee -a "$logf"
  else log "END $name: exit $rc in $(( $(now) - t0 )) s" | tee -a "$logf"; fi
  (( rc == 0 )) || FAILED+=("$name")
  return $rc
}

# bench/results/*.json this command appended to go to $OUT (checksums taken before each benchmark)
sums() { (cd bench/results 2>/dev/null && md5sum -- *.json 2>/dev/null); }
bench_step() {  # bench_step LOG CAP NAME SCRIPT_ARGS...: a benchmark whose record lands in bench/results/NAME.json
  local logf=$1 cap=$2 name=$3; shift 3
  local before; before=$(sums)
  step "$logf" "$cap" "$name" "$PY" "$@"; local rc=$?
  local f
  for f in bench/results/*.json; do
    [ -f "$f" ] || continue
    if ! grep -qxF "$(cd bench/results && md5sum -- "$(basename "$f")")" <<<"$before"; then
      cp "$f" "$OUT/" && log "results: $f (appended this run) copied to \$OUT" | tee -a "$OUT/$logf"
    fi
  done
  return $rc
}

wheels() { local f; for f in "$WHL"/*.whl; do [ -e "$f" ] && printf '%s\n' "${f##*/}"; done; return 0; }
setup() {
  local logf=info.log
  # install the carried wheels once per machine (a warm machine keeps $SITE; the stamp is the wheel list)
  local want have=""
  want=$(wheels | md5sum | cut -d' ' -f1)
  [ -f "$SITE/.wheels" ] && have=$(cat "$SITE/.wheels")
  if [ -z "$(wheels)" ]; then
    log "no wheels in $WHL: name \".whl\" in the call's carry (made here by bash tools/gpu_wheels.sh)" | tee -a "$OUT/$logf"; return 1
  elif [ "$want" != "$have" ]; then
    log "installing $(wheels | wc -l) wheels from $WHL into $SITE" | tee -a "$OUT/$logf"
    rm -rf "$SITE"
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "$WHL"/*.whl \
      2>&1 | tee -a "$OUT/$logf" || { log "pip install failed" | tee -a "$OUT/$logf"; return 1; }
    echo "$want" >"$SITE/.wheels"
  else log "wheels already installed in $SITE (warm machine)" | tee -a "$OUT/$logf"; fi
  {
    log "machine: $(uname -srm), $(nproc) CPUs, $(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GiB RAM"}'), budget $(left) s left"
    if [ "$DEV" != cpu ]; then
      local q=name,memory.total,memory.used,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw,power.limit
      timeout 30 nvidia-smi --query-gpu=$q --format=csv \
        || log "nvidia-smi failed"
    fi
  } 2>&1 | tee -a "$OUT/$logf"
  # GPU, torch, CUDA and package facts, and every nervenet module imported: an install problem shows here in seconds
  timeout 120 "$PY" - "$DEV" <<'EOF' 2>&1 | tee -a "$OUT/$logf"
import importlib, importlib.metadata as md, os, platform, sys, time
dev = sys.argv[1]
t0 = time.time()
import torch
print(f"python {platform.python_version()} at {sys.executable}; torch {torch.__version__}, CUDA {torch.version.cuda}, "
      f"cuDNN {torch.backends.cudnn.version()}, cuda available: {torch.cuda.is_available()}")
if dev != 'cpu':
    if not torch.cuda.is_available(): sys.exit('gpu_run: torch sees no GPU (set GPU_RUN_DEVICE=cpu to run on the CPU)')
    p = torch.cuda.get_device_properties(0)
    print(f"GPU: {p.name}, compute capability {p.major}.{p.minor}, {p.multi_processor_count} SMs, {p.total_memory/2**30:.0f} GiB, "
          f"bf16: {torch.cuda.is_bf16_supported()}, {torch.cuda.device_count()} device(s)")
    a = torch.randn(4096, 4096, device='cuda', dtype=torch.bfloat16); torch.cuda.synchronize()
    t = time.perf_counter(); [a @ a for _ in range(50)]; torch.cuda.synchronize(); dt = time.perf_counter() - t
    print(f"sanity: 50 bf16 4096^3 matmuls in {dt*1e3:.1f} ms = {50*2*4096**3/dt/1e12:.0f} TFLOP/s (warm-up included)")
vers = []
for n in ('fastai', 'fastcore', 'fastprogress', 'nbdev', 'execnb', 'ipython', 'nibabel', 'medpy', 'pydicom', 'dcm2niix',
          'numpy', 'scipy', 'pandas', 'matplotlib', 'triton'):
    try: vers.append(f"{n} {md.version(n)}")
    except md.PackageNotFoundError: vers.append(f"{n} MISSING")
print('packages: ' + ', '.join(vers))
bad = []
for m in ('core', 'io', 'metrics', 'phantom', 'cohort', 'orientation', 'dicom', 'data', 'model', 'learner', 'checkpoint', 'train', 'inference', 'batch', 'biomarkers', 'viewer',
          'stats', 'report', 'crossval', 'cli', 'all'):
    try: importlib.import_module('nervenet.' + m)
    except Exception as e: bad.append(f"nervenet.{m}: {type(e).__name__}: {e}")
for m in ('medpy.metric.binary', 'nbdev.test', 'fastai.callback.fp16', 'fastai.distributed', 'pydicom', 'dcm2niix'):
    try: importlib.import_module(m)
    except Exception as e: bad.append(f"{m}: {type(e).__name__}: {e}")
print('imports: ' + ('all ok' if not bad else 'FAILED\n  ' + '\n  '.join(bad)) + f" ({time.time() - t0:.0f} s)")
sys.exit(1 if bad else 0)
EOF
}

gpu_notebooks() { grep -lE '"#\| *gpu' nbs/*.ipynb 2>/dev/null; }

cap() { case $1 in metrics) echo 180;; memory) echo 240;; *) echo 600;; esac; }  # seconds at most per benchmark

run_stage() {
  local s=$1 logf=$1.log
  case $s in
    info) ;;
    smoke) # seconds of GPU work; a CPU (GPU_RUN_DEVICE=cpu, for checking this script) needs minutes
      step "$logf" "$([ "$DEV" = cpu ] && echo 540 || echo 300)" smoke "$PY" bench/run_all.py --smoke --device "$DEV" ;;
    gpu-cells)
      local nbs; nbs=$(gpu_notebooks | tr '\n' ' ')
      [ -n "$nbs" ] || { log "no notebook has #| gpu cells" | tee -a "$OUT/$logf"; return 0; }
      # shellcheck disable=SC2086  # one word per notebook
      step "$logf" 360 gpu-cells "$PY" tools/test_nbs.py --flags "gpu ${NB_FLAGS:-}" $nbs ;;
    metrics|memory|inference) bench_step "$logf" "$(cap "$s")" "$s" bench/run_all.py --device "$DEV" --only "$s" ;;
    bench) # the short, predictable ones first: the inference benchmark (compiles) then gets every second left
      local b
      for b in metrics memory inference; do bench_step "$logf" "$(cap "$b")" "$b" bench/run_all.py --device "$DEV" --only "$b"; done ;;
    train) bench_step "$logf" 480 train bench/run_all.py --device "$DEV" --only training ;;
    train-compile) bench_step "$logf" 600 train-compile bench/training.py --device "$DEV" --compile ;;
  esac
}

log "stages: $*; device $DEV; budget: $(left) s left; \$OUT=$OUT" | tee -a "$OUT/info.log"
if ! setup; then
  log "set-up FAILED: see info.log (nothing else run)" | tee -a "$OUT/info.log"; exit 1
fi
for s in "$@"; do run_stage "$s"; done
n=$(find "$OUT" -type f | wc -l)
(( n <= 8 )) || log "WARNING: $n files in \$OUT, only 8 come back: run fewer stages per call" | tee -a "$OUT/info.log"
if (( ${#FAILED[@]} )); then log "done with failures: ${FAILED[*]} ($(left) s of the budget left)" | tee -a "$OUT/info.log"; exit 1; fi
log "done: all ok ($(left) s of the budget left); \$OUT: $(cd "$OUT" && echo *)" | tee -a "$OUT/info.log"
