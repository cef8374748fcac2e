"""glibc malloc tuning (`nervenet.core.tune_malloc`): the package's own inference and training step with and without it.

Each variant runs in its own process, because the setting is one of the process and cannot be undone: the package's
`predict_volume` (its defaults: batch and precision per device) on one 448 x 384 x `--slices` volume, and training steps
of `nerve_learner` (augmentation on) on batches of 8 windows of `--patch` pixels, what the `cpu` profile trains on. In the
baseline process `tune_malloc` is replaced by a function that does nothing, so the package's code path is the same
otherwise. The variants alternate (baseline, tuned, baseline, tuned, ...) `--repeats` times, so that a change of load hits
both; the best time of each is reported, with user and system CPU time. Ratio: baseline time over tuned time.

    python bench/malloc.py
"""
from __future__ import annotations
import json, os, resource, subprocess, sys, time
import benchlib as bl

def part(tuned:bool, slices:int, patch:int, steps:int)->dict:
    "Time inference and training steps in this process, with or without `tune_malloc`"
    import numpy as np, nibabel as nib, torch
    import nervenet.core, nervenet.inference, nervenet.train
    if not tuned: # the baseline: the same code with glibc's defaults
        for m in (nervenet.core, nervenet.inference, nervenet.train): m.tune_malloc = lambda *a, **k: False
    else: nervenet.core.tune_malloc()
    from fastai.data.core import DataLoaders
    from nervenet.core import RunConfig, get_profile
    from nervenet.data import SliceDataset, SliceDL
    from nervenet.model import fcdensenet_paper
    from nervenet.inference import predict_volume
    from nervenet.learner import nerve_learner, synth_slices
    dev, p = torch.device('cpu'), get_profile('cpu')
    rng = np.random.default_rng(0)
    img = nib.Nifti1Image(rng.integers(0, 1000, (*p.shape[:2], slices), dtype=np.int16), np.diag([*p.spacing, 1.]))
    model = fcdensenet_paper().eval()
    predict_volume(model, img, p.crop, device=dev) # warm-up
    r0, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    predict_volume(model, img, p.crop, device=dev)
    r1, t_inf = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t
    cfg = RunConfig.from_profile('cpu', device='cpu')
    x, y = synth_slices(8 * steps, patch)
    ds = SliceDataset(x, y, [('synth', k) for k in range(len(x))])
    empty = SliceDataset(x[:0], y[:0], []) # no validation: only the steps are timed
    dls = DataLoaders(SliceDL(ds, bs=8, device=dev), SliceDL(empty, bs=8, device=dev), device=dev)
    learn = nerve_learner(dls, cfg)
    with learn.no_bar(), learn.no_logging():
        learn.fit(1) # warm-up epoch
        r2, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        learn.fit(1)
        r3, t_tr = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t
    return dict(tuned=tuned, inference_s=t_inf, inference_s_per_slice=t_inf / slices,
                inference_user_s=r1.ru_utime - r0.ru_utime, inference_sys_s=r1.ru_stime - r0.ru_stime,
                train_s_per_step=t_tr / steps, train_user_s=r3.ru_utime - r2.ru_utime, train_sys_s=r3.ru_stime - r2.ru_stime)

def add_args(p):
    p.add_argument('--part', choices=['tuned', 'default'], default=None, help='run one variant in this process and print its JSON')
    p.add_argument('--slices', type=int, default=20, help='slices of the inference volume (the cpu profile: 20)')
    p.add_argument('--patch', type=int, default=128, help='training window size (the record: 128; the cpu profile now trains on 64)')
    p.add_argument('--steps', type=int, default=6, help='training steps timed per variant')

def main():
    a = bl.parse_args(__doc__.splitlines()[0], add_args)
    if a.part:
        print('RESULT ' + json.dumps(part(a.part == 'tuned', a.slices, a.patch, a.steps)))
        return
    env = bl.environment(a.device)
    print('malloc benchmark on', bl.fmt_env(env))
    runs = {'default': [], 'tuned': []}
    for _ in range(a.repeats):
        for variant in ('default', 'tuned'):
            cmd = [sys.executable, __file__, '--part', variant, '--threads', str(a.threads), '--slices', str(a.slices),
                   '--patch', str(a.patch), '--steps', str(a.steps), '--no-save']
            res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
            line = next((l for l in res.stdout.splitlines() if l.startswith('RESULT ')), None)
            if res.returncode or line is None: raise RuntimeError(f'{variant} failed:\n{res.stdout}\n{res.stderr}')
            r = json.loads(line[len('RESULT '):]); runs[variant].append(r)
            print(f"{variant:7s}: inference {r['inference_s_per_slice']:.3f} s/slice (user {r['inference_user_s']:.1f} s, sys "
                  f"{r['inference_sys_s']:.1f} s); training {r['train_s_per_step']:.2f} s/step (user {r['train_user_s']:.1f} s, "
                  f"sys {r['train_sys_s']:.1f} s)", flush=True)
    best = {v: {k: min(r[k] for r in rs) for k in ('inference_s_per_slice', 'train_s_per_step')} for v, rs in runs.items()}
    ratio_inf = best['default']['inference_s_per_slice'] / best['tuned']['inference_s_per_slice']
    ratio_tr = best['default']['train_s_per_step'] / best['tuned']['train_s_per_step']
    print(f"side by side (best of {a.repeats}): inference {best['default']['inference_s_per_slice']:.3f} -> "
          f"{best['tuned']['inference_s_per_slice']:.3f} s per slice ({ratio_inf:.2f}x); training "
          f"{best['default']['train_s_per_step']:.2f} -> {best['tuned']['train_s_per_step']:.2f} s per step of 8 x {a.patch}^2 ({ratio_tr:.2f}x)")
    rec = dict(name='malloc', env=env, slices=a.slices, patch=a.patch, steps=a.steps, runs=runs, best=best,
               ratio_inference=ratio_inf, ratio_training=ratio_tr)
    bl.finish('malloc', rec, a)

if __name__ == '__main__': main()
