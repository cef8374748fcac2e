"""Shared pieces of the nervenet benchmarks: command line, environment record, timers, matmul limit, JSON results.

Every benchmark prints its figures and appends one record to `bench/results/<name>.json` (a JSON list, newest last), so the
docs page (`nbs/22_benchmarks.ipynb`) can show the latest figures with the device and versions they came from.
"""
from __future__ import annotations
import argparse, datetime, gc, json, os, platform, resource, sys, time
from pathlib import Path
import numpy as np
import torch
from nervenet.core import cpu_bf16 # the library's own test, so the benchmarks switch bf16 on where nervenet does

RESULTS = Path(__file__).resolve().parent/'results'

def parse_args(description:str, add_args=None)->argparse.Namespace:
    "Command line shared by every benchmark: --device, --threads, --repeats, --out, --no-save, plus `add_args(parser)`"
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--device', default=None, help="'cpu', 'cuda' or 'cuda:N' (default: cuda when available, else cpu)")
    p.add_argument('--threads', type=int, default=None, help='intra-op threads on the CPU (default: every core this process may use)')
    p.add_argument('--repeats', type=int, default=3, help='timed repeats per figure (after one warm-up); the best is reported')
    p.add_argument('--out', default=str(RESULTS), help='folder of the JSON results')
    p.add_argument('--no-save', action='store_true', help='print only, append nothing to the results')
    if add_args: add_args(p)
    a = p.parse_args()
    a.device = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    a.threads = a.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(a.threads)
    try: torch.set_num_interop_threads(1)
    except RuntimeError: pass
    return a

def cpu_model()->str:
    "The CPU's model name, from /proc/cpuinfo where there is one"
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()

def cpu_flags()->list:
    "The vector and matrix extensions of this CPU that matter for fp32 and bf16 convolutions"
    try: flags = next(l for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('flags')).split(':', 1)[1].split()
    except (OSError, StopIteration): return []
    return [f for f in ('avx2', 'fma', 'avx512f', 'avx512_bf16', 'avx512_fp16', 'amx_bf16', 'amx_tile') if f in flags]

def bf16_ok(device:torch.device)->bool:
    "Whether bf16 autocast is worth using on `device`"
    return torch.cuda.is_bf16_supported() if device.type == 'cuda' else cpu_bf16()

def environment(device:torch.device)->dict:
    "Device, versions, CPU, threads, load and date: what a figure needs to be read"
    import scipy
    env = dict(date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
               device=str(device), device_name=torch.cuda.get_device_name(device) if device.type == 'cuda' else cpu_model(),
               cpu_model=cpu_model(), cpu_flags=cpu_flags(), cpu_count=os.cpu_count(), cpus_usable=len(os.sched_getaffinity(0)),
               threads=torch.get_num_threads(), cpu_capability=torch.backends.cpu.get_cpu_capability(), cpu_bf16=cpu_bf16(),
               torch=torch.__version__, numpy=np.__version__, scipy=scipy.__version__, python=platform.python_version(),
               platform=platform.platform(), load_start=[round(v, 2) for v in os.getloadavg()])
    if device.type == 'cuda': env.update(cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                                         gpu_memory_gib=round(torch.cuda.get_device_properties(device).total_memory/2**30, 1),
                                         cudnn_allow_tf32=torch.backends.cudnn.allow_tf32, matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32)
    return env

def load_note(env:dict)->str:
    """A warning when other processes competed for the CPU during the run: a load average more than half a core above the
    benchmark's own threads (which load the cores themselves), capped at the usable cores"""
    load, n = max(env['load_start'] + env.get('load_end', [])), env['cpus_usable']
    if load <= min(env.get('threads', n), n) + 0.5: return ''
    return (f"shared machine: load average up to {load:.1f} on {n} usable cores during the run (the benchmark's own "
            f"{env.get('threads', n)} threads account for at most {min(env.get('threads', n), n)}), so absolute timings are "
            f"pessimistic and noisy; ratios measured side by side in this run are more reliable")

def sync(device:torch.device):
    "Wait for queued GPU work, so a timer measures it"
    if device.type == 'cuda': torch.cuda.synchronize(device)

def timeit(fn, device:torch.device, repeats:int=3, warmup:int=1)->list:
    "Seconds of each of `repeats` calls of `fn()` after `warmup` untimed calls"
    for _ in range(warmup): fn()
    sync(device)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync(device)
        ts.append(time.perf_counter() - t)
    return ts

def summary(ts:list, scale:float=1.0)->dict:
    "Best, median and all of the times `ts` (seconds), multiplied by `scale`"
    ts = [t*scale for t in ts]
    return dict(best=min(ts), median=float(np.median(ts)), all=ts)

def matmul_flops(device:torch.device, dtype:torch.dtype, n:int|None=None, repeats:int=3)->float:
    "FLOP/s of an n x n matrix multiply in `dtype` on `device`: the practical compute limit the models are compared with"
    n = n or (8192 if device.type == 'cuda' else 2048)
    a, b = (torch.randn(n, n, device=device).to(dtype) for _ in range(2))
    inner = 20 if device.type == 'cuda' else 1
    def f():
        for _ in range(inner): a @ b
    ts = timeit(f, device, repeats=repeats, warmup=1)
    del a, b
    return 2*n**3*inner/min(ts)

def copy_bandwidth(device:torch.device, nbytes:int|None=None, repeats:int=3)->float:
    "Bytes read plus written per second by a copy of a tensor far larger than the caches: the practical memory limit"
    nbytes = nbytes or (2**31 if device.type == 'cuda' else 2**28)
    a = torch.empty(nbytes//2, dtype=torch.bfloat16, device=device).normal_()
    b = torch.empty_like(a)
    inner = 10 if device.type == 'cuda' else 1
    def f():
        for _ in range(inner): b.copy_(a)
    ts = timeit(f, device, repeats=repeats, warmup=1)
    del a, b
    return 2*nbytes*inner/min(ts)

def peak_rss_bytes()->int:
    "Peak resident memory of this process so far (Linux reports kB)"
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == 'darwin' else r*1024

def save_record(name:str, record:dict, out=RESULTS)->Path:
    "Append `record` to `out/<name>.json` (a list of runs, newest last); written atomically"
    from nervenet.core import save_json
    path = Path(out)/f'{name}.json'
    runs = json.loads(path.read_text()) if path.exists() else []
    runs.append(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_json(runs, path, overwrite=True)
    return path

def finish(name:str, record:dict, args)->dict:
    "Stamp the end load, add the load caveat, print the record as JSON and save it unless --no-save"
    env = record['env']
    env['load_end'] = [round(v, 2) for v in os.getloadavg()]
    record['caveat'] = load_note(env)
    if record['caveat']: print('NOTE:', record['caveat'])
    if not args.no_save: print('saved to', save_record(name, record, args.out))
    return record

def fmt_env(env:dict)->str:
    "One line naming the device, versions, threads and date"
    return (f"{env['device']} ({env['device_name']}), CPU {env['cpu_model']}, {env['threads']} threads, torch {env['torch']}, "
            f"numpy {env['numpy']}, {env['date']}, load {env['load_start']}")
