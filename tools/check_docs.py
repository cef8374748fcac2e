"""Check the offline docs site in headless Chromium: every page loads, every image renders, no link is broken, nothing
is requested from outside 127.0.0.1.

`docs/` is served by Python's http.server on 127.0.0.1; Chromium (Debian's `chromium`; `apt-get install -y chromium`, or
set CHROMIUM=/path/to/chrome) is driven over the Chrome DevTools protocol with the standard library only (a minimal
websocket client below). For every page it records each network request, waits for the load event and reads the DOM:
- the page answered 200 and fired `load`, no JavaScript error;
- every `<img>` decoded (`naturalWidth > 0`);
- every internal link (relative, or to the docs site `doc_host + doc_baseurl`) names an existing page or file, and its
  `#anchor` exists on that page;
- the Colab badge and source links name files that exist in this checkout (`nbs/00_core.ipynb`, `nervenet/core.py`);
- every request stayed on 127.0.0.1 (DNS for any other host is disabled as well, so nothing can leak);
- the sidebar lists every page and the page title matches its H1;
- every notebook's first code cell installs nervenet when it is missing (so the Colab badge leads to a notebook that
  runs), and nbs/_quarto.yml / nbs/nbdev.yml (the Quarto site on GitHub) agree with settings.ini.
Screenshots of index.html and the first API page (core.html) are written to --shots (default: a temp folder) so a person
can look at them. Ends with one summary line; exits 1 on any problem.
"""
from __future__ import annotations
import argparse, base64, functools, http.server, json, os, re, shutil, socket, subprocess, sys, tempfile, threading, time
from pathlib import Path
from urllib.parse import urlsplit, unquote

# ---------------------------------------------------------------------------------------------------------------------
# A minimal websocket client (RFC 6455, text frames, client masking) and a Chrome DevTools protocol session on top

class WebSocket:
    def __init__(self, url:str, timeout:float=60):
        u = urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f'GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n'
                           f'Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n').encode())
        buf = b''
        while b'\r\n\r\n' not in buf:
            chunk = self.sock.recv(4096)
            if not chunk: raise ConnectionError('websocket handshake: connection closed')
            buf += chunk
        head, self.buf = buf.split(b'\r\n\r\n', 1)
        if b' 101 ' not in head.split(b'\r\n')[0]: raise ConnectionError(f'websocket handshake failed: {head[:200]!r}')

    def _read(self, n:int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk: raise ConnectionError('websocket closed')
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _frame(self, opcode:int, data:bytes):
        n, mask = len(data), os.urandom(4)
        head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else
               bytes([0x80 | 126]) + n.to_bytes(2, 'big') if n < 65536 else bytes([0x80 | 127]) + n.to_bytes(8, 'big'))
        masked = (int.from_bytes(data, 'big') ^ int.from_bytes((mask * (n // 4 + 1))[:n], 'big')).to_bytes(n, 'big') if n else b''
        self.sock.sendall(head + mask + masked)

    def send(self, text:str): self._frame(0x1, text.encode())

    def recv(self) -> str:
        parts = []
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7f
            if n == 126: n = int.from_bytes(self._read(2), 'big')
            elif n == 127: n = int.from_bytes(self._read(8), 'big')
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask: data = bytes(c ^ mask[i % 4] for i, c in enumerate(data))
            op = b0 & 0x0f
            if op == 0x9: self._frame(0xA, data); continue  # ping -> pong
            if op == 0x8: raise ConnectionError('websocket closed by the browser')
            if op in (0x0, 0x1, 0x2): parts.append(data)
            if b0 & 0x80 and parts: return b''.join(parts).decode()

    def close(self):
        try: self._frame(0x8, b'')
        except OSError: pass
        self.sock.close()

class CDP:
    "Flat-session Chrome DevTools protocol client: `call` returns the result, events are kept in `events`"
    def __init__(self, ws:WebSocket): self.ws, self.n, self.events = ws, 0, []

    def call(self, method:str, session:str|None=None, **params):
        self.n += 1
        msg = {'id': self.n, 'method': method, 'params': params}
        if session: msg['sessionId'] = session
        self.ws.send(json.dumps(msg))
        while True:
            m = json.loads(self.ws.recv())
            if m.get('id') == self.n:
                if 'error' in m: raise RuntimeError(f'{method}: {m["error"]}')
                return m.get('result', {})
            self.events.append(m)

    def wait_for(self, method:str, timeout:float) -> dict|None:
        end = time.time() + timeout
        while True:
            for m in self.events:
                if m.get('method') == method: return m
            left = end - time.time()
            if left <= 0: return None
            self.ws.sock.settimeout(left)
            try: self.events.append(json.loads(self.ws.recv()))
            except socket.timeout: return None
            finally: self.ws.sock.settimeout(60)

    def drain(self, quiet:float=0.3):
        "Collect events until the browser has been quiet for `quiet` seconds"
        while True:
            self.ws.sock.settimeout(quiet)
            try: self.events.append(json.loads(self.ws.recv()))
            except socket.timeout: break
            finally: self.ws.sock.settimeout(60)

# ---------------------------------------------------------------------------------------------------------------------

CHROME_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
                '--disable-default-apps', '--disable-extensions', '--metrics-recording-only', '--mute-audio',
                '--no-default-browser-check', '--hide-scrollbars', '--font-render-hinting=none',
                '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1', '--window-size=1280,900']

def find_chromium() -> str|None:
    for c in (os.environ.get('CHROMIUM'), 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'):
        if c and shutil.which(c): return shutil.which(c)

@functools.lru_cache(None)
def _settings():
    try:
        from nbdev.config import get_config
        cfg = get_config()
        return dict(root=Path(cfg.config_path), user=cfg.user, repo=cfg.repo, branch=cfg.get('branch', 'main'),
                    doc_url=(cfg.get('doc_host', '') + cfg.get('doc_baseurl', '')).rstrip('/'), doc_path=Path(cfg.doc_path),
                    git_url=cfg.get('git_url', '').rstrip('/'))
    except Exception: return None

PAGE_JS = r'''(() => ({
  title: document.title,
  h1: (document.querySelector('h1') || {textContent: ''}).textContent.replace(/#$/, '').trim(),
  images: [...document.images].map(i => ({src: i.getAttribute('src').slice(0, 120), ok: i.complete && i.naturalWidth > 0})),
  links: [...document.querySelectorAll('a[href]')].map(a => ({raw: a.getAttribute('href'), abs: a.href})),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id).concat([...document.querySelectorAll('a[name]')].map(e => e.name)),
  nav: [...document.querySelectorAll('nav.sidebar .pages > li > a')].map(a => a.getAttribute('href')),
  colab: [...document.querySelectorAll('a.colab')].map(a => a.href),
  height: Math.max(document.documentElement.scrollHeight, document.body.scrollHeight),
  width: document.documentElement.scrollWidth
}))()'''

def check_quarto_config() -> list[str]:
    "The Quarto site (GitHub) uses the same names as settings.ini: nbs/nbdev.yml as nbdev writes it, the Colab base URL"
    st = _settings()
    if not st: return []
    from nbdev.config import get_config
    import yaml
    cfg, out = get_config(), []
    q, ny = Path(cfg.nbs_path)/'_quarto.yml', Path(cfg.nbs_path)/'nbdev.yml'
    if q.exists():
        want = f'https://colab.research.google.com/github/{st["user"]}/{st["repo"]}/blob/{st["branch"]}/{Path(cfg.nbs_path).relative_to(st["root"]).as_posix()}'
        got = (yaml.safe_load(q.read_text()) or {}).get('colab-url')
        if got != want: out.append(f'{q.name}: colab-url is {got!r}, settings.ini says {want!r}')
    if ny.exists():
        from nbdev.quarto import _nbdev_yml
        vals = {k: cfg.get(k) for k in ['title', 'description', 'branch', 'git_url', 'doc_host', 'doc_baseurl']}
        vals['doc_path'] = Path(cfg.doc_path).name
        if ny.read_text() != _nbdev_yml.format(**vals): out.append(f'{ny.name} differs from settings.ini (run: python -c "from nbdev.quarto import refresh_quarto_yml; refresh_quarto_yml()")')
    return out

def check_colab_cells() -> list[str]:
    "Each notebook runs on Colab (its badge): its first code cell installs nervenet when it is missing"
    st = _settings()
    if not st: return []
    from nbdev.config import get_config
    cfg, out = get_config(), []
    lib = cfg.lib_name
    for f in sorted(Path(cfg.nbs_path).rglob('*.ipynb')):
        if any(p.startswith(('.', '_')) for p in f.relative_to(cfg.nbs_path).parts): continue
        cells = json.loads(f.read_text(encoding='utf-8')).get('cells', [])
        code = [''.join(c['source']) for c in cells if c['cell_type'] == 'code']
        code = [c for c in code if re.sub(r'^\s*#\|.*$', '', c, flags=re.M).strip()]  # not just directives
        if code and not re.search(rf'pip install[^\n]*\b{lib}\b', code[0]):
            out.append(f'{f.relative_to(st["root"])}: the first code cell does not install {lib} (needed on Colab)')
    return out

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

def check(docs:Path, shots:Path|None, shot_pages:list[str], timeout:float=30) -> int:
    docs = docs.absolute()
    pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob('*.html'))
    if not pages: print(f'docs check: no pages in {docs}'); return 1
    st = _settings()
    chrome = find_chromium()
    if not chrome:
        print('docs check: Chromium not found; install it with `apt-get update && apt-get install -y chromium` or set CHROMIUM')
        return 2
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(docs)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    origin = f'http://127.0.0.1:{srv.server_address[1]}'
    profile = Path(tempfile.mkdtemp(prefix='nervenet-chromium-'))
    proc = subprocess.Popen([chrome, *CHROME_FLAGS, f'--user-data-dir={profile}', '--remote-debugging-port=0', 'about:blank'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    problems, n_img, n_links, n_int, n_ext_links, external = check_quarto_config() + check_colab_cells(), 0, 0, 0, 0, set()
    try:
        port_file, end = profile/'DevToolsActivePort', time.time() + 60
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if proc.poll() is not None or time.time() > end: raise RuntimeError(f'{chrome} did not start (exit {proc.poll()})')
            time.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        cdp = CDP(WebSocket(f'ws://127.0.0.1:{port}{path}'))
        target = cdp.call('Target.createTarget', url='about:blank')['targetId']
        sid = cdp.call('Target.attachToTarget', targetId=target, flatten=True)['sessionId']
        for dom in ('Page', 'Network', 'Runtime', 'Log'): cdp.call(f'{dom}.enable', sid)
        cdp.call('Network.setCacheDisabled', sid, cacheDisabled=True)
        results = {}
        for pg in pages:
            cdp.events.clear()
            url = f'{origin}/{pg}'
            nav = cdp.call('Page.navigate', sid, url=url)
            if nav.get('errorText'): problems.append(f'{pg}: does not load ({nav["errorText"]})'); continue
            if not cdp.wait_for('Page.loadEventFired', timeout): problems.append(f'{pg}: no load event within {timeout:.0f} s')
            cdp.drain()
            res = cdp.call('Runtime.evaluate', sid, expression=PAGE_JS, returnByValue=True)['result']['value']
            results[pg] = res
            reqs = {}
            for ev in cdp.events:
                m, p = ev.get('method'), ev.get('params', {})
                if m == 'Network.requestWillBeSent':
                    u = p['request']['url']; reqs[p['requestId']] = u
                    if urlsplit(u).scheme not in ('data', 'blob', 'about') and not u.startswith(origin + '/'):
                        external.add(u); problems.append(f'{pg}: request leaves localhost: {u[:120]}')
                elif m == 'Network.responseReceived' and p['response']['status'] >= 400:
                    problems.append(f'{pg}: HTTP {p["response"]["status"]} for {p["response"]["url"][:120]}')
                elif m == 'Network.loadingFailed' and not p.get('canceled'):
                    u = reqs.get(p['requestId'], '?')
                    if u not in external: problems.append(f'{pg}: failed to load {u[:120]} ({p.get("errorText")})')
                elif m == 'Runtime.exceptionThrown':
                    problems.append(f'{pg}: JavaScript error: {p["exceptionDetails"].get("text")}')
                elif m == 'Log.entryAdded' and p['entry'].get('level') == 'error' and not p['entry'].get('url', '').startswith('http://127.0.0.1'):
                    problems.append(f'{pg}: console error: {p["entry"].get("text", "")[:160]}')
            if not any(ev.get('method') == 'Network.responseReceived' and ev['params']['response']['url'] == url and
                       ev['params']['response']['status'] == 200 for ev in cdp.events):
                problems.append(f'{pg}: no 200 response for the page')
            for img in res['images']:
                n_img += 1
                if not img['ok']: problems.append(f'{pg}: image does not render: {img["src"]}')
            if res['h1'] and not res['title'].startswith(res['h1']): problems.append(f'{pg}: <title> {res["title"]!r} does not start with the H1 {res["h1"]!r}')
            nav_pages = {os.path.normpath(os.path.join(os.path.dirname(pg), h)).replace(os.sep, '/') for h in res['nav']}
            if nav_pages != set(pages): problems.append(f'{pg}: sidebar lists {sorted(nav_pages)}, the site has {pages}')
            if len(res['colab']) != 1: problems.append(f'{pg}: expected one Colab badge, found {len(res["colab"])}')
            if shots is not None and (pg in shot_pages or '*' in shot_pages):
                shots.mkdir(parents=True, exist_ok=True)
                h = int(min(res['height'], 8000))
                cdp.call('Emulation.setDeviceMetricsOverride', sid, width=1280, height=h, deviceScaleFactor=1, mobile=False)
                cdp.drain(0.3)
                data = cdp.call('Page.captureScreenshot', sid, format='png')['data']
                cdp.call('Emulation.clearDeviceMetricsOverride', sid)
                out = shots/(pg.replace('/', '_').removesuffix('.html') + '.png')
                out.write_bytes(base64.b64decode(data))
                print(f'screenshot {out} (1280 x {h})')
        # links, now that every page's anchors are known
        for pg, res in results.items():
            for ln in res['links']:
                n_links += 1
                err = _check_link(ln, pg, origin, docs, results, st)
                if err is None: n_ext_links += 1
                elif err == '': n_int += 1
                else: problems.append(f'{pg}: broken link {ln["raw"]!r}: {err}')
        cdp.ws.close()
    except Exception as e:
        problems.append(f'checker error: {e!r}')
    finally:
        proc.terminate()
        try: proc.wait(10)
        except subprocess.TimeoutExpired: proc.kill()
        srv.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    for p in problems: print('PROBLEM', p)
    print(f'docs check: {len(pages)} pages, {n_img} images, {n_int} internal links, {n_ext_links} external links (not followed), '
          f'{len(external)} requests outside localhost, {len(problems)} problem{"" if len(problems) == 1 else "s"}: {"OK" if not problems else "FAILED"}')
    return 1 if problems else 0

def _check_link(ln:dict, pg:str, origin:str, docs:Path, results:dict, st:dict|None) -> str|None:
    "'' for a good internal link, None for an external one (not followed), else what is wrong"
    raw, absu = ln['raw'], ln['abs']
    if raw.startswith(('mailto:', 'javascript:')): return None
    doc_url = st['doc_url'] if st else ''
    if doc_url and (absu == doc_url or absu.startswith(doc_url + '/')):
        return f'points at the published site ({doc_url}), not at the local page'
    if absu.startswith(origin + '/') or absu == origin:
        u = urlsplit(absu)
        path = unquote(u.path).lstrip('/') or 'index.html'
        f = docs/path
        if f.is_dir(): f, path = f/'index.html', (path.rstrip('/') + '/index.html').lstrip('/')
        if not f.is_file(): return f'no file {path}'
        frag = unquote(u.fragment)
        if frag:
            if path not in results: return f'anchor #{frag} on a page that was not checked'
            if frag not in results[path]['ids']: return f'no anchor #{frag} on {path}'
        return ''
    if st:  # links into this repository (Colab badge, source, notebook) must name files that exist here
        for pre in (f'https://colab.research.google.com/github/{st["user"]}/{st["repo"]}/blob/{st["branch"]}/',
                    f'{st["git_url"]}/blob/{st["branch"]}/'):
            if absu.startswith(pre):
                rel = unquote(urlsplit(absu).path[len(urlsplit(pre).path):])
                return '' if (st['root']/rel).is_file() else f'no file {rel} in this repository'
    return None

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--docs', help='site folder (default: doc_path in settings.ini)')
    p.add_argument('--shots', help='folder for screenshots (default: a new temp folder)')
    p.add_argument('--pages', default='index.html core.html', help='pages to screenshot, space separated, or "*"')
    p.add_argument('--timeout', type=float, default=30, help='seconds to wait for each page load')
    a = p.parse_args()
    st = _settings()
    docs = Path(a.docs) if a.docs else (st['doc_path'] if st else Path('docs'))
    shots = Path(a.shots) if a.shots else Path(tempfile.mkdtemp(prefix='nervenet-docs-shots-'))
    sys.exit(check(docs, shots, a.pages.split(), a.timeout))

if __name__ == '__main__': main()
