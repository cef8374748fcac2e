"""Peak memory: segmenting one 448 x 384 x 60 volume (`nervenet.inference.predict_volume` with its defaults: batch and precision per device)
and one training step at batch 8 on the paper crop (`nervenet.learner.nerve_learner`, augmentation on); on a CPU with native
bf16 the training step again with `RunConfig.cpu_bf16` (bf16 autocast, channels-last).

Each part runs in its own process, so the operating system's peak resident size (`ru_maxrss`) belongs to that part alone;
the memory held before the work starts (Python, torch, the model) is reported next to it. On a GPU the figure is
`torch.cuda.max_memory_allocated`. The side-by-side ratio: training step peak over inference peak.

    python bench/memory.py
"""
from __future__ import annotations
import json, os, subprocess, sys, time
from pathlib import Path
import benchlib as bl

def rss_now()->int:
    "Current resident memory of this process, bytes"
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmRSS:'): return int(line.split()[1])*1024
    return bl.peak_rss_bytes()

def part_inference(device, slices:int)->dict:
    import numpy as np, nibabel as nib, torch
    from nervenet.model import fcdensenet_paper
    from nervenet.inference import predict_volume, default_batch_size, inference_dtype
    from nervenet.core import get_profile
    p = get_profile('paper')
    rng = np.random.default_rng(0)
    img = nib.Nifti1Image(rng.integers(0, 1000, (*p.shape[:2], slices), dtype=np.int16), np.diag([*p.spacing, 1.]))
    model = fcdensenet_paper().eval().to(device)
    return _run(device, lambda: predict_volume(model, img, p.crop, device=device),
                dict(what=f'predict_volume, {p.shape[0]} x {p.shape[1]} x {slices}, batch {default_batch_size(device)}, '
                         f'{"bf16" if inference_dtype(device) is not None else "fp32"}, crop {p.crop}'))

def part_train(device, batch:int, cpu_bf16:bool=False)->dict:
    import torch
    from fastai.data.core import DataLoaders
    from nervenet.core import RunConfig
    from nervenet.data import SliceDataset, SliceDL
    from nervenet.learner import nerve_learner, synth_slices
    cfg = RunConfig.from_profile('paper', device=str(device), batch_size=batch, cpu_bf16=cpu_bf16)
    x, y = synth_slices(batch, cfg.crop)
    ds = SliceDataset(x, y, [('synth', k) for k in range(batch)])
    empty = SliceDataset(x[:0], y[:0], [])
    dls = DataLoaders(SliceDL(ds, bs=batch, device=device), SliceDL(empty, bs=batch, device=device), device=device)
    learn = nerve_learner(dls, cfg)
    def step():
        with learn.no_bar(), learn.no_logging(): learn.fit(1)
    return _run(device, step, dict(what=f'one training step (forward, backward, Adam), batch {batch}, crop {cfg.crop}, '
                                        f'augmentation on{", bf16 autocast, channels_last" if device.type == "cuda" or cpu_bf16 else ", fp32"}'
                                        f'{" (RunConfig.cpu_bf16)" if cpu_bf16 else ""}'))

def _run(device, fn, rec:dict)->dict:
    import torch
    cuda = device.type == 'cuda'
    if cuda: torch.cuda.synchronize(device); torch.cuda.reset_peak_memory_stats(device)
    before = rss_now()
    t = time.perf_counter()
    fn()
    bl.sync(device)
    rec.update(seconds=time.perf_counter() - t, rss_before_mib=before/2**20, rss_peak_mib=bl.peak_rss_bytes()/2**20)
    rec['rss_increase_mib'] = rec['rss_peak_mib'] - rec['rss_before_mib']
    if cuda: rec['gpu_peak_allocated_mib'] = torch.cuda.max_memory_allocated(device)/2**20
    return rec

def add_args(p):
    p.add_argument('--part', choices=['inference', 'train', 'train_cpu_bf16'], default=None, help=argparse_hidden)
    p.add_argument('--slices', type=int, default=60, help='slices of the inference volume')
    p.add_argument('--batch', type=int, default=8, help='training batch size')

argparse_hidden = 'run one part in this process and print its JSON (used by the parent process)'

def main():
    a = bl.parse_args(__doc__.splitlines()[0], add_args)
    if a.part:
        rec = (part_inference(a.device, a.slices) if a.part == 'inference' else
               part_train(a.device, a.batch, cpu_bf16=a.part == 'train_cpu_bf16'))
        print('RESULT ' + json.dumps(rec))
        return
    env = bl.environment(a.device)
    print('memory benchmark on', bl.fmt_env(env))
    parts = {}
    for part in ('inference', 'train') + (('train_cpu_bf16',) if a.device.type == 'cpu' and bl.cpu_bf16() else ()):
        cmd = [sys.executable, __file__, '--part', part, '--device', str(a.device), '--threads', str(a.threads),
               '--slices', str(a.slices), '--batch', str(a.batch), '--no-save']
        res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
        line = next((l for l in res.stdout.splitlines() if l.startswith('RESULT ')), None)
        if res.returncode or line is None: raise RuntimeError(f'{part} part failed:\n{res.stdout}\n{res.stderr}')
        r = parts[part] = json.loads(line[len('RESULT '):])
        gpu = f", GPU peak {r['gpu_peak_allocated_mib']:,.0f} MiB" if 'gpu_peak_allocated_mib' in r else ''
        print(f"{part}: {r['what']}: peak RSS {r['rss_peak_mib']:,.0f} MiB (+{r['rss_increase_mib']:,.0f} MiB over the "
              f"{r['rss_before_mib']:,.0f} MiB held before){gpu}; {r['seconds']:.1f} s")
    key = 'gpu_peak_allocated_mib' if a.device.type == 'cuda' else 'rss_increase_mib'
    ratio = parts['train'][key]/max(parts['inference'][key], 1e-9)
    print(f"side by side: training step at batch {a.batch} needs {ratio:.1f}x the {'GPU' if key.startswith('gpu') else 'added RSS'} "
          f"memory of inference")
    if 'train_cpu_bf16' in parts:
        bf = parts['train_cpu_bf16'][key]/max(parts['train'][key], 1e-9)
        print(f"side by side: training step with cpu_bf16 needs {bf:.2f}x the added RSS of the fp32 step")
    else: bf = None
    rec = dict(name='memory', env=env, parts=parts, measure=key, ratio_train_over_inference=ratio, ratio_cpu_bf16_over_fp32_train=bf)
    bl.finish('memory', rec, a)

if __name__ == '__main__': main()
