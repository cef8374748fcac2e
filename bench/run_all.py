"""Run every nervenet benchmark (inference, training, metrics, memory, malloc) one after the other and append their results.

On a CPU the slow baselines are sampled (a few slices, a few training batches) and scaled, so the whole run stays within
about ten minutes on two quiet cores; on a GPU every figure is measured in full.

    python bench/run_all.py                   # default device (cuda when available)
    python bench/run_all.py --device cpu
    python bench/run_all.py --only metrics memory
    python bench/run_all.py --smoke           # seconds: tiny sizes, nothing saved (checks that the scripts run)
"""
from __future__ import annotations
import argparse, subprocess, sys, time
from pathlib import Path
import torch

HERE = Path(__file__).resolve().parent
NAMES = ('inference', 'training', 'metrics', 'memory', 'malloc')

def script_args(name:str, device:str, smoke:bool)->list:
    "Command-line arguments of benchmark `name` on `device` (sampled baselines on a CPU, tiny sizes for --smoke)"
    if smoke: return dict(inference=['--slices', '4', '--size', '64', '--repeats', '1', '--compile', 'off'],
                          training=['--paper-batches', '1', '--quick-batches', '2', '--repeats', '1'],
                          metrics=['--repeats', '1'], memory=['--slices', '2', '--batch', '1'],
                          malloc=['--slices', '2', '--patch', '32', '--steps', '1', '--repeats', '1'])[name] + ['--no-save']
    if device.startswith('cuda'): return []
    return dict(inference=['--naive-slices', '6', '--probe-slices', '6', '--repeats', '2'],
                training=['--paper-batches', '2', '--quick-batches', '6'],
                metrics=['--repeats', '3'], memory=[], malloc=[])[name]

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--only', nargs='*', choices=NAMES, default=list(NAMES))
    p.add_argument('--smoke', action='store_true', help='tiny sizes, nothing saved: check that every script runs')
    a = p.parse_args()
    t_all, failed = time.perf_counter(), []
    for name in a.only:
        cmd = [sys.executable, str(HERE/f'{name}.py'), '--device', a.device] + script_args(name, a.device, a.smoke)
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        t = time.perf_counter()
        rc = subprocess.run(cmd).returncode
        print(f"=== {name}: {'ok' if rc == 0 else f'FAILED (exit {rc})'} in {time.perf_counter() - t:.0f} s", flush=True)
        if rc: failed.append(name)
    print(f"\nall benchmarks: {time.perf_counter() - t_all:.0f} s; " + (f"failed: {', '.join(failed)}" if failed else 'all ok'))
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
