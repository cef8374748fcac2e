"""Training speed: slices/s of `nervenet.learner.nerve_learner` steps with augmentation on, at the paper crop and the `quick` profile's crop.

Each batch is split into three timed parts: data (the fastai `DataLoader` collating preloaded slices and moving them to the
device), augmentation (`nervenet.learner.Augment`: flip, shift, elastic on the device) and the model step (forward, loss,
backward, Adam step). The slowest part is the bottleneck. Validation batches (forward only) are timed too, and a 100-epoch
fold of the paper's cross-validation (39 training x 60 slices, 13 test subjects x 60 slices validated every epoch) is
extrapolated from the two rates. The side-by-side ratio: the paper crop against the quick crop (pixels vs time).

    python bench/training.py                          # both crops on the default device
    python bench/training.py --paper-batches 2        # a CPU: two paper-crop batches are minutes already
"""
from __future__ import annotations
import time
import torch
import benchlib as bl
from fastai.callback.core import Callback
from nervenet.core import RunConfig, get_profile
from nervenet.data import SliceDataset, SliceDL
from nervenet.learner import nerve_learner, synth_slices
from fastai.data.core import DataLoaders

FOLD = dict(train_subjects=39, test_subjects=13, slices=60, epochs=100, folds=4)  # the paper: 52 subjects, 4 folds

class PartTimer(Callback):
    "Wall-clock time of data, augmentation and model step of each batch (synchronising a GPU at each mark)"
    order = -100
    def __init__(self, device): self.device, self.rows = device, []
    def _now(self):
        bl.sync(self.device)
        return time.perf_counter()
    def before_epoch(self): self.t_end = self._now()
    def before_validate(self): self.t_end = self._now()
    def before_batch(self): self.t0 = self._now()
    def after_batch(self):
        t = self._now()
        self.rows.append(dict(train=self.training, data=self.t0 - self.t_end, aug=self.mark.t - self.t0 if self.training else 0.,
                              step=t - (self.mark.t if self.training else self.t0), n=len(self.learn.yb[0])))
        self.t_end = t

class AfterAugment(Callback):
    "Marks the time after `Augment` (order 0) and before the forward pass"
    order = 0.5
    def __init__(self, device): self.device, self.t = device, 0.
    def before_batch(self):
        bl.sync(self.device)
        self.t = time.perf_counter()

def measure(profile:str, device, n_batches:int, n_valid_batches:int, compile:bool, cpu_bf16:bool=False)->dict:
    "Time `n_batches` training and `n_valid_batches` validation batches of the `profile` crop and batch size"
    p = get_profile(profile)
    cfg = RunConfig.from_profile(profile, device=str(device), compile=compile, cpu_bf16=cpu_bf16)
    bs = cfg.batch_size
    x, y = synth_slices((n_batches + n_valid_batches)*bs, cfg.crop, seed=0)
    n_tr = n_batches*bs
    ds_tr = SliceDataset(x[:n_tr], y[:n_tr], [('synth', k) for k in range(n_tr)])
    ds_va = SliceDataset(x[n_tr:], y[n_tr:], [('synth', k) for k in range(len(x) - n_tr)])
    dls = DataLoaders(SliceDL(ds_tr, bs=bs, shuffle=True, device=device), SliceDL(ds_va, bs=bs, device=device), device=device)
    mark = AfterAugment(device)
    timer = PartTimer(device)
    timer.mark = mark
    learn = nerve_learner(dls, cfg, cbs=[timer, mark])
    with learn.no_bar(), learn.no_logging(): learn.fit(1)
    tr = [r for r in timer.rows if r['train']]
    va = [r for r in timer.rows if not r['train']]
    warm = tr[1:] if len(tr) > 1 else tr  # the first batch builds kernels (and compiles)
    parts = {k: min(r[k] for r in warm) for k in ('data', 'aug', 'step')}
    parts_med = {k: sorted(r[k] for r in warm)[len(warm)//2] for k in ('data', 'aug', 'step')}
    per_batch = sum(parts.values())
    valid_s = min(r['data'] + r['step'] for r in va) if va else None
    train_sps, valid_sps = bs/per_batch, (bs/valid_s if valid_s else None)
    ep_train = FOLD['train_subjects']*FOLD['slices']/train_sps
    ep_valid = FOLD['test_subjects']*FOLD['slices']/valid_sps if valid_sps else 0.
    fold_s = FOLD['epochs']*(ep_train + ep_valid)
    bottleneck = max(parts, key=parts.get)
    return dict(profile=profile, crop=cfg.crop, batch_size=bs, batches_timed=len(warm), first_batch_s=sum(tr[0][k] for k in ('data', 'aug', 'step')),
                mixed_precision=bool(cfg.mixed_precision and device.type == 'cuda'), channels_last=bool(cfg.channels_last and device.type == 'cuda'),
                compile=compile, cpu_bf16=cpu_bf16 and device.type == 'cpu', seconds_per_batch=parts, seconds_per_batch_median=parts_med,
                share={k: v/per_batch for k, v in parts.items()}, bottleneck=bottleneck,
                train_slices_per_s=train_sps, train_slices_per_s_without_aug=bs/(parts['data'] + parts['step']),
                valid_slices_per_s=valid_sps, epoch_s=ep_train + ep_valid, fold_100_epochs_s=fold_s,
                crossval_4_folds_s=FOLD['folds']*fold_s, paper_crossval_extrapolated=profile == 'paper')

def add_args(p):
    p.add_argument('--paper-batches', type=int, default=None, help='paper-crop training batches timed (default: 20 on a GPU, 2 on a CPU)')
    p.add_argument('--quick-batches', type=int, default=None, help='quick-crop training batches timed (default: 40 on a GPU, 6 on a CPU)')
    p.add_argument('--compile', action='store_true', help='torch.compile the model (RunConfig.compile)')

def main():
    a = bl.parse_args(__doc__.splitlines()[0], add_args)
    dev, cuda = a.device, a.device.type == 'cuda'
    if cuda: torch.backends.cudnn.benchmark = True
    env = bl.environment(dev)
    print('training benchmark on', bl.fmt_env(env))
    runs = {}
    plan = [(p, n, False) for p, n in (('quick', a.quick_batches or (40 if cuda else 6)), ('paper', a.paper_batches or (20 if cuda else 2)))]
    if not cuda and bl.cpu_bf16(): plan += [(p, n, True) for p, n, _ in plan]  # RunConfig.cpu_bf16, side by side with fp32
    for prof, n, bf in plan:
        name = prof + (', cpu_bf16' if bf else '')
        r = runs[name] = measure(prof, dev, n, 1 if not cuda else 4, a.compile, bf)
        s = r['seconds_per_batch']
        print(f"{name} crop {r['crop']}, batch {r['batch_size']}: {r['train_slices_per_s']:.2f} training slices/s "
              f"(data {s['data']*1e3:.1f} ms, augmentation {s['aug']*1e3:.1f} ms, model step {s['step']*1e3:.0f} ms per batch; "
              f"bottleneck: {r['bottleneck']}), validation {r['valid_slices_per_s']:.2f} slices/s")
        print(f"  100-epoch fold of the paper cohort at this crop: {r['fold_100_epochs_s']/3600:.2f} h; "
              f"4-fold cross-validation {r['crossval_4_folds_s']/3600:.2f} h")
    q, pp = runs['quick'], runs['paper']
    ratio = q['train_slices_per_s']/pp['train_slices_per_s']
    bf16_speedup = {p: runs[f'{p}, cpu_bf16']['train_slices_per_s']/runs[p]['train_slices_per_s'] for p in ('quick', 'paper') if f'{p}, cpu_bf16' in runs}
    for p, v in bf16_speedup.items(): print(f"side by side: {p} crop, cpu_bf16 / fp32 training slices/s = {v:.2f}")
    px = (pp['crop']/q['crop'])**2
    print(f"side by side: quick-crop slices/s / paper-crop slices/s = {ratio:.1f} (pixel ratio {px:.0f})")
    goal_s = 15*60
    target = dict(kind='4-fold x 100-epoch paper cross-validation', goal_s=goal_s, value_s=pp['crossval_4_folds_s'],
                  met=pp['crossval_4_folds_s'] <= goal_s, missed_by=max(1., pp['crossval_4_folds_s']/goal_s),
                  applies_to='one H200 GPU')
    verdict = 'met' if target['met'] else f"{target['missed_by']:.0f}x over"
    print(f"paper cross-validation (4 folds x 100 epochs) on this device: {pp['crossval_4_folds_s']/3600:.1f} h "
          f"(H200 goal 15 min: {verdict})")
    rec = dict(name='training', env=env, fold=FOLD, runs=runs, ratio_quick_over_paper=ratio, pixel_ratio=px, target=target,
               cpu_bf16_speedup=bf16_speedup)
    bl.finish('training', rec, a)

if __name__ == '__main__': main()
