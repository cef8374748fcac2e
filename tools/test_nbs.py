"Run every notebook in `nbs/` as a test (nbdev's `test_nb`, default `tst_flags` skipped) and print `N passed, M failed`."
import argparse, os, sys, time
from pathlib import Path
from fastcore.parallel import parallel
from nbdev.config import get_config
from nbdev.test import test_nb

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('notebooks', nargs='*', help='notebooks to test (default: all numbered notebooks and index)')
    p.add_argument('--flags', default='', help='space separated tst_flags to run anyway, e.g. "slow"')
    p.add_argument('--n_workers', type=int, default=int(os.environ.get('NERVENET_TEST_WORKERS', 2)))
    a = p.parse_args()
    cfg = get_config()
    files = [Path(f).absolute() for f in a.notebooks] or sorted(cfg.nbs_path.glob('[0-9]*.ipynb')) + [cfg.nbs_path/'index.ipynb']
    os.environ.setdefault('OMP_NUM_THREADS', str(max(1, (os.cpu_count() or 2)//max(1, a.n_workers))))
    start = time.time()
    os.chdir(cfg.nbs_path)
    res = parallel(test_nb, files, skip_flags=cfg.tst_flags.split(), force_flags=a.flags.split(), n_workers=a.n_workers,
                   basepath=cfg.config_path, pause=0.01)
    for f, (ok, t) in zip(files, res): print(f"{'ok  ' if ok else 'FAIL'} {f.name:32s} {t:6.1f} s")
    n_ok = sum(ok for ok, _ in res)
    print(f"notebook time {time.time()-start:.0f} s")
    print(f"notebooks: {n_ok} passed, {len(files)-n_ok} failed")
    sys.exit(0 if n_ok == len(files) else 1)

if __name__ == '__main__': main()
