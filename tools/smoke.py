"Smoke test of an installed nervenet (run by tools/wheel_smoke.sh in a fresh environment): API, CLI, tiny pipeline end to end."
import importlib, pkgutil, subprocess, sys, tempfile
from pathlib import Path
import numpy as np

def sh(*args, ok=(0,)):
    print('$', ' '.join(map(str, args)), flush=True)
    r = subprocess.run(list(map(str, args)), capture_output=True, text=True)
    if r.returncode not in ok: sys.exit(f"FAILED ({r.returncode}): {' '.join(map(str, args))}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r.stdout

def main():
    import nervenet, fastai, torch, nibabel as nib
    print(f"nervenet {nervenet.__version__} from {Path(nervenet.__file__).parent}, fastai {fastai.__version__}, torch {torch.__version__}")
    assert 'site-packages' in nervenet.__file__, 'smoke test must run against the installed wheel, not the source tree'
    mods = [m.name for m in pkgutil.iter_modules(nervenet.__path__, 'nervenet.')]
    for m in mods: importlib.import_module(m)
    assert 'torchvision' not in sys.modules, 'importing nervenet loaded torchvision'
    print(f"imported {len(mods)} modules without torchvision")

    out = sh('nervenet', '--help')
    assert out == sh(sys.executable, '-m', 'nervenet.cli', '--help'), 'python -m nervenet.cli differs from the nervenet command'
    for c in ['phantom', 'train', 'crossval', 'segment', 'measure', 'run']: assert c in out, c
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        sh('nervenet', 'phantom', d/'cohort', '--profile', 'tiny', '--seed', '1')
        assert (d/'cohort/subjects.csv').exists()
        sh('nervenet', 'train', d/'cohort', d/'model', '--profile', 'tiny', '--epochs', '1')
        ckpt = d/'model/checkpoints/last.pt'
        t2 = d/'cohort/vol-01/t2.nii.gz'
        sh('nervenet', 'segment', t2, '-o', d/'seg', '--model', ckpt, ok=(0, 3)) # 3: a one-epoch network may find no nerve (empty mask, warned)
        masks = list((d/'seg').glob('*.nii*'))
        assert len(masks) == 1, masks
        img, m = nib.load(t2), nib.load(masks[0])
        assert m.shape == img.shape and np.allclose(m.affine, img.affine), 'mask not on the input grid'
        assert set(np.unique(np.asanyarray(m.dataobj))) <= {0, 1}
        sh('nervenet', 'measure', t2, d/'cohort/vol-01/consensus.nii.gz', '-o', d/'measure')
        assert any((d/'measure').glob('*.csv'))
        sh('nervenet', 'crossval', d/'cohort', d/'cv', '--profile', 'tiny', '--epochs', '1')
        assert (d/'cv/report/table1.csv').exists()
    print("smoke: all passed")

if __name__ == '__main__': main() # guarded: spawned worker processes re-import this file
