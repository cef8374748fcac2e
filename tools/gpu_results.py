"""Bring benchmark records back from the device tool: append to `bench/results/<name>.json` every record of
`FOLDER/<name>.json` that it lacks (same device, device name and date), keeping the file's format (a JSON list, newest last).

`tools/gpu_run.sh` copies each results file a device command appended to into $OUT, whole (the records the working copy had
when the call was sent, plus the new ones); the tool's reply names the folder they land in here (files_at). Merging instead
of copying keeps records written here in the meantime.

    .venv/bin/python tools/gpu_results.py /work/.device/...        # the reply's files_at
"""
import sys
from pathlib import Path
from nervenet.core import load_json, save_json # the format and atomic write of bench/benchlib.py's save_record

RESULTS = Path(__file__).resolve().parent.parent/'bench'/'results'

def key(rec:dict)->tuple:
    env = rec.get('env', {})
    return (rec.get('name'), env.get('device'), env.get('device_name'), env.get('date'))

def merge(src:Path, dst:Path)->list:
    "Append the records of `src` missing from `dst` to `dst`; the records added"
    new = load_json(src)
    old = load_json(dst) if dst.exists() else []
    have = {key(r) for r in old}
    added = [r for r in new if key(r) not in have]
    if added: save_json(old + added, dst, overwrite=True)
    return added

def main():
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir(): sys.exit(__doc__)
    files = sorted(p for p in Path(sys.argv[1]).glob('*.json'))
    if not files: sys.exit(f'no *.json in {sys.argv[1]}')
    for src in files:
        added = merge(src, RESULTS/src.name)
        print(f"{src.name}: {len(added)} new record(s) appended to bench/results/{src.name}"
              + ''.join(f"\n  {r['env'].get('device_name')} ({r['env'].get('device')}), {r['env'].get('date')}" for r in added))

if __name__ == '__main__': main()
