"""Offline docs: nbdev's processed notebooks rendered with nbconvert into a browsable site in `docs/`.

On GitHub the docs site is rendered by Quarto (`nbdev_docs`, .github/workflows/deploy.yaml). Quarto cannot be installed
here, so this script builds the same pages without it and without the network:

- every notebook in `nbs/` goes through nbdev's own docs processors (`nbdev.processors.FilterDefaults`: front matter from
  the H1 and `>` summary, `#| hide` and `#| export` cells removed, `show_doc` added after exported definitions, links to
  the API, directives removed), except `exec_show_docs`: notebooks are never executed, the pages show their SAVED
  outputs. Only `show_doc` cells without a saved result (the ones nbdev adds for undocumented exports, or a notebook
  saved without outputs) are rendered by calling `show_doc` on the installed package, as nbdev does;
- the processed notebook is rendered by nbconvert (`basic` template, no require.js, no MathJax) and wrapped in a page
  with a navigation sidebar, the page's table of contents and an "Open in Colab" badge;
- page names are nbdev's (`00_core.ipynb` -> `core.html`), headings get Pandoc's identifiers (so nbdev's API links
  `core.html#runconfig.from_profile` resolve), links to the docs site become relative, plots are written next to the
  page (`core_files/`), and every asset is local: the site works from `file://` or any static server, offline.

Usage: `python tools/build_docs.py [--nbs nbs] [--out docs]`; deterministic (same notebooks in, same bytes out).
"""
from __future__ import annotations
import argparse, html, json, os, re, shutil, sys, tempfile, warnings
from pathlib import Path
from urllib.parse import urlsplit

os.environ.setdefault('IN_TEST', '1')  # as nbdev's docs processing does (quiet, no interactive side effects)
import nbformat
from bs4 import BeautifulSoup
from traitlets.config import Config
from nbconvert import HTMLExporter
from pygments.formatters import HtmlFormatter
from execnb.nbio import read_nb
from nbdev.config import get_config
from nbdev.doclinks import nbglob, _nbpath2html
from nbdev.process import NBProcessor
from nbdev.processors import FilterDefaults, exec_show_docs, add_links

WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'
WIDGET_STATE = 'application/vnd.jupyter.widget-state+json'

# ---------------------------------------------------------------------------------------------------------------------
# Project settings and notebook list

class Site:
    "Names and URLs from settings.ini"
    def __init__(self, nbs:Path|None=None):
        cfg = get_config()
        self.cfg = cfg
        self.root = Path(cfg.config_path)
        self.nbs = Path(nbs).absolute() if nbs else Path(cfg.nbs_path)
        self.lib = cfg.lib_name
        self.title = cfg.get('title', cfg.lib_name)
        self.description = cfg.get('description', '')
        self.user, self.repo, self.branch = cfg.user, cfg.repo, cfg.get('branch', 'main')
        self.git_url = cfg.get('git_url', f'https://github.com/{self.user}/{self.repo}').rstrip('/')
        self.doc_url = (cfg.get('doc_host', '') + cfg.get('doc_baseurl', '')).rstrip('/')
        self.nbs_rel = self.nbs.relative_to(self.root).as_posix()

    def notebooks(self) -> list[Path]:
        "Every notebook nbdev would document, `index.ipynb` first, then by path"
        files = [Path(f) for f in nbglob(self.nbs, func=os.path.join, skip_folder_re=r'(?:^[_.]|^www$)')]
        return sorted(files, key=lambda p: (p.relative_to(self.nbs).as_posix() != 'index.ipynb', p.relative_to(self.nbs).as_posix()))

    def page(self, nb:Path) -> str:
        "Page path relative to the site root, as nbdev names it: `00_core.ipynb` -> `core.html`"
        return _nbpath2html(nb.relative_to(self.nbs)).as_posix()

    def colab(self, nb:Path) -> str:
        return f'https://colab.research.google.com/github/{self.user}/{self.repo}/blob/{self.branch}/{self.nbs_rel}/{nb.relative_to(self.nbs).as_posix()}'

    def github(self, nb:Path) -> str:
        return f'{self.git_url}/blob/{self.branch}/{self.nbs_rel}/{nb.relative_to(self.nbs).as_posix()}'

# ---------------------------------------------------------------------------------------------------------------------
# nbdev processing without execution

def _docs_procs():
    "nbdev's docs processors (the ones `nbdev_docs` uses) minus the one that executes code"
    return [p for p in FilterDefaults().procs() if p is not exec_show_docs]

def _export_modules(nb) -> list[str]:
    "Modules the notebook exports to (`default_exp` and explicit `#| export mod` targets)"
    mods = []
    for cell in nb.cells:
        if cell.cell_type != 'code': continue
        for line in cell.source.splitlines():
            m = re.match(r'^\s*#\|\s*(default_exp|export|exports|exporti)\s+(\S+)', line)
            if m and m[2] not in mods: mods.append(m[2])
    return mods

def _fix_source_line(md:str, fn:str) -> str:
    """nbdev 2.4 looks the source line up by the qualified name (`nervenet.core.RunConfig`), which only works for objects
    defined in the running notebook; for imported ones it writes `#LNone`. Look it up by the name inside the module."""
    if '#LNone' not in md: return md
    from nbdev.doclinks import NbdevLookup, _get_exps
    res = NbdevLookup()[fn]
    if not isinstance(res, tuple): return md
    parts, line = fn.split('.'), None
    for k in range(1, len(parts)):
        line = _get_exps(res[1]).get('.'.join(parts[k:]))
        if line: break
    return md.replace('#LNone', f'#L{line}') if line else md.replace('#LNone', '')

def _is_show_doc_cell(cell) -> bool:
    src = split_options(cell.get('source') or '')[1]
    return cell.cell_type == 'code' and bool(re.match(r'\s*show_doc\(', src))

def _has_doc_output(cell) -> bool:
    return any('text/markdown' in o.get('data', {}) for o in cell.get('outputs', []))

def _render_missing_show_docs(nb, mods:list[str], lib:str, name:str):
    """`show_doc` cells without a saved result (the ones nbdev adds after exported definitions, or a notebook saved
    without outputs) get the result `show_doc` gives for the installed package, as nbdev's `exec_show_docs` would;
    the notebook itself is not run. Saved results are kept."""
    todo = [c for c in nb.cells if _is_show_doc_cell(c) and not _has_doc_output(c)]
    if not todo: return
    import ast, importlib
    from nbdev.showdoc import show_doc
    ns = {}
    for m in mods:
        try: ns.update(vars(importlib.import_module(f'{lib}.{m}')))
        except Exception as e: warnings.warn(f'{name}: cannot import {lib}.{m} for show_doc: {e!r}')
    ns['show_doc'] = show_doc
    for cell in todo:
        opts, src = split_options(cell.source)
        mds = []
        try: stmts = ast.parse(src).body
        except SyntaxError: stmts = []
        for stmt in stmts:
            call = ast.get_source_segment(src, stmt)
            if not (isinstance(stmt, ast.Expr) and call.lstrip().startswith('show_doc(')): continue
            try:
                r = eval(call, dict(ns))
                mds.append(_fix_source_line(r._repr_markdown_(), r.fn))
            except Exception as e: warnings.warn(f'{name}: {call} not rendered ({e!r}); run the notebook to save its output')
        if not mds: cell.source = None; continue
        cell.outputs = [dict(output_type='execute_result', execution_count=None, metadata={},
                             data={'text/markdown': '\n\n'.join(mds).splitlines(True)})]
        add_links(cell)
    nb.cells = [c for c in nb.cells if c.get('source') is not None]

def process_nb(path:Path, lib:str):
    "Read `path` and apply nbdev's docs processing to its saved state (nothing is executed)"
    nb = read_nb(path)
    mods = _export_modules(nb)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        NBProcessor(nb=nb, procs=_docs_procs()).process()
    _render_missing_show_docs(nb, mods, lib, path.name)
    fm = dict(getattr(nb, 'frontmatter_', {}) or {})
    cells = [c for c in nb.cells if not (c.cell_type == 'raw' and c.source.lstrip().startswith('---'))]
    widgets = (nb.get('metadata', {}).get('widgets', {}) or {}).get(WIDGET_STATE, {}).get('state', {})
    return fm, cells, dict(widgets)

_re_qopt = re.compile(r'^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')

def split_options(src:str) -> tuple[dict, str]:
    "Leading Quarto cell options (`#| echo: false`) and the code after them"
    lines, opts = src.splitlines(), {}
    while lines and _re_qopt.match(lines[0]):
        m = _re_qopt.match(lines.pop(0))
        opts[m[1]] = m[2].strip('\'"')
    return opts, '\n'.join(lines).strip('\n')

def _text(v) -> str: return ''.join(v) if isinstance(v, list) else (v or '')

def _false(v) -> bool: return str(v).lower() in ('false', 'no', '0')

def doc_cells(cells, widgets:dict|None=None) -> list[dict]:
    """Apply the Quarto cell options nbdev leaves (echo, output, include, code-fold) and return plain cell dicts:
    {'kind': 'markdown'|'code'|'raw', 'source', 'outputs', 'fold', 'doc'} (doc: a `show_doc` result shown as markdown)."""
    res = []
    for c in cells:
        src = _text(c.get('source'))
        if c.cell_type == 'markdown':
            if re.fullmatch(r'\s*<!--.*?-->\s*', src, flags=re.S): continue  # nbdev's "autogenerated" warning
            res.append(dict(kind='markdown', source=src, outputs=[], fold=None, doc=False, attachments=c.get('attachments')))
            continue
        if c.cell_type == 'raw':
            res.append(dict(kind='raw', source=src, outputs=[], fold=None, doc=False))
            continue
        opts, code = split_options(src)
        if _false(opts.get('include', 'true')): continue
        outs = [] if _false(opts.get('output', 'true')) else _clean_outputs(c.get('outputs', []), widgets)
        if str(opts.get('output', '')).lower() == 'asis':  # show_doc: the markdown it returned becomes the page content
            md = '\n\n'.join(_text(o['data']['text/markdown']) for o in outs if 'text/markdown' in o.get('data', {}))
            if md: res.append(dict(kind='markdown', source=md, outputs=[], fold=None, doc=True))
            continue
        if _false(opts.get('echo', 'true')): code = ''
        if not code and not outs: continue
        fold = str(opts.get('code-fold', 'false')).lower()
        res.append(dict(kind='code', source=code, outputs=outs, fold=None if fold == 'false' else fold,
                        summary=opts.get('code-summary', 'Code'), doc=False))
    return res

def _clean_outputs(outs, widgets:dict|None=None) -> list[dict]:
    """Outputs as nbformat wants them (strings, not lists of lines). An interactive widget needs a kernel: it becomes a
    static snapshot from the saved widget state (the values of its controls, then what its Output widgets showed)."""
    res = []
    for o in outs:
        o = dict(o)
        if 'text' in o: o['text'] = _text(o['text'])
        if o.get('output_type') == 'stream' and not o['text']: continue
        data = {k: _text(v) if isinstance(v, (list, str)) else v for k, v in o.get('data', {}).items()}
        if WIDGET_VIEW in data:
            view = data.pop(WIDGET_VIEW)
            if isinstance(view, str): view = json.loads(view)
            snap = _widget_snapshot(view.get('model_id', ''), widgets or {})
            if snap is not None:
                controls, inner = snap
                note = 'Snapshot of an interactive widget' + (f" ({html.escape(', '.join(controls))})" if controls else '')
                res.append(dict(output_type='display_data', metadata={},
                                data={'text/html': f'<p class="widget-note">{note}: run the notebook to use it.</p>'}))
                res.extend(_clean_outputs(inner, widgets))
                continue
            if set(data) <= {'text/plain'}:
                data = {'text/html': '<p class="widget-note">Interactive widget: open the notebook in Jupyter or Colab to use it.</p>'}
        if 'data' in o: o['data'] = data
        res.append(o)
    return res

def _widget_snapshot(model_id:str, widgets:dict):
    "(control values, outputs of Output widgets) of the widget `model_id` in the saved state, or None if not saved"
    if model_id not in widgets: return None
    controls, outs = [], []
    def walk(mid):
        m = widgets.get(mid)
        if not m: return
        st = m.get('state', {})
        if m.get('model_name') == 'OutputModel': outs.extend(st.get('outputs', []))
        elif 'children' in st:
            for ch in st['children']: walk(ch.removeprefix('IPY_MODEL_'))
        elif 'value' in st and st.get('description'):
            v = st['value']
            if isinstance(v, bool): controls.append(f"{st['description']} {'on' if v else 'off'}")
            elif 'index' in st and st.get('_options_labels'): controls.append(f"{st['description']} = {st['_options_labels'][st['index']]}")
            else: controls.append(f"{st['description']} = {v}")
    walk(model_id)
    return controls, outs

# ---------------------------------------------------------------------------------------------------------------------
# Markdown: the Pandoc extensions nbdev/Quarto content uses, turned into HTML mistune keeps

def _attrs(spec:str) -> dict:
    "Pandoc attribute block `#id .class key=value` -> HTML attributes"
    out, classes = {}, []
    for tok in re.findall(r'''[\w-]+="[^"]*"|[\w-]+='[^']*'|[\w-]+=\S+|[#.][\w:.-]+''', spec):
        if tok[0] == '#': out['id'] = tok[1:]
        elif tok[0] == '.': classes.append(tok[1:])
        else:
            k, v = tok.split('=', 1)
            out[k] = v.strip('"\'')
    if classes: out['class'] = ' '.join(classes)
    return out

def _attr_str(d:dict) -> str: return ''.join(f' {k}="{html.escape(str(v), quote=True)}"' for k, v in d.items())

_re_link_attr = re.compile(r'(!?)\[([^\]\n]*)\]\(([^)\s]+)\)\{([^}\n]*)\}')
_re_span_attr = re.compile(r'(?<![\]!])\[([^\]\n]+)\]\{([^}\n]*)\}')
_re_head_attr = re.compile(r'^(#{1,6}\s+.*?)\s*\{([^}\n]*)\}\s*$', re.M)
_re_fence_div = re.compile(r'^:{3,}\s*(\{[^}\n]*\}|[\w-]+)?\s*$', re.M)

def pandoc_md(src:str) -> str:
    "Rewrite Pandoc/Quarto-only markdown (link/image/span/heading attributes, fenced divs) as inline HTML"
    def link(m):
        bang, text, url, a = m.groups()
        attrs = _attrs(a)
        if bang: return f'<img src="{html.escape(url, quote=True)}" alt="{html.escape(text, quote=True)}"{_attr_str(attrs)}>'
        return f'<a href="{html.escape(url, quote=True)}"{_attr_str(attrs)}>{html.escape(text)}</a>'
    def head(m):
        a = _attrs(m[2])
        return m[1] + (f' <span id="{a["id"]}"></span>' if 'id' in a else '')
    def div(m):
        if not m[1]: return '\n</div>\n'
        a = _attrs(m[1].strip('{}')) if m[1].startswith('{') else {'class': m[1]}
        return f'\n<div{_attr_str(a)}>\n'
    parts = re.split(r'(^```.*?^```\s*$)', src, flags=re.M | re.S)  # leave fenced code alone
    for i in range(0, len(parts), 2):
        p = _re_link_attr.sub(link, parts[i])
        p = _re_span_attr.sub(lambda m: f'<span{_attr_str(_attrs(m[2]))}>{m[1]}</span>', p)
        p = _re_head_attr.sub(head, p)
        opened = len([1 for m in _re_fence_div.finditer(p) if m[1]])
        closed = len([1 for m in _re_fence_div.finditer(p) if not m[1]])
        if opened == closed: p = _re_fence_div.sub(div, p)
        parts[i] = p
    return ''.join(parts)

# ---------------------------------------------------------------------------------------------------------------------
# Links and identifiers

def pandoc_id(text:str) -> str:
    "Pandoc's auto identifier (what Quarto gives a heading, and what nbdev's API links point at)"
    s = re.sub(r'[^\w\s.-]', '', text.strip().lower())
    s = re.sub(r'\s+', '-', s)
    s = re.sub(r'^[^a-z]+', '', s)
    return s or 'section'

def rewrite_href(href:str, site:Site, page:str, nb_pages:dict, absolute:bool=False) -> str:
    """A link on `page` (written relative to its notebook) as the site or the README needs it: links to the docs site or
    to a notebook become links to its page, relative (`absolute=False`, the offline site) or on the docs site
    (`absolute=True`, the README); links to other files of the repository (`../tools/test.sh`) go to GitHub."""
    if not href or href.startswith(('#', 'mailto:', 'data:', 'javascript:')): return href
    base = site.doc_url + '/'
    if site.doc_url and (href == site.doc_url or href.startswith(base)): target = href[len(base):] if href.startswith(base) else ''
    elif urlsplit(href).scheme or href.startswith('/'): return href
    else:
        path, _, frag = href.partition('#')
        frag = f'#{frag}' if frag else ''
        here = Path(page).parent
        rel = os.path.normpath((here/path).as_posix()).replace(os.sep, '/')
        if rel in nb_pages: target = nb_pages[rel] + frag
        elif rel in set(nb_pages.values()) or (absolute and rel.endswith('.html')): target = rel + frag
        else:
            f = (site.nbs/here/path).resolve()
            if f.exists() and f.is_relative_to(site.root) and not f.is_relative_to(Path(site.cfg.doc_path).resolve()):
                kind = 'tree' if f.is_dir() else 'blob'
                return f'{site.git_url}/{kind}/{site.branch}/{f.relative_to(site.root).as_posix()}{frag}'
            return href
    path, _, frag = target.partition('#')
    path, frag = path or 'index.html', (f'#{frag}' if frag else '')
    if absolute: return base + path + frag
    return os.path.relpath(path, Path(page).parent.as_posix() or '.').replace(os.sep, '/') + frag

# ---------------------------------------------------------------------------------------------------------------------
# HTML rendering

def _exporter() -> HTMLExporter:
    c = Config()
    c.HTMLExporter.template_name = 'basic'  # body only: no require.js, no MathJax, no CDN
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = False
    c.HTMLExporter.anchor_link_text = '#'
    c.ExtractOutputPreprocessor.enabled = True
    c.ExtractOutputPreprocessor.extract_output_types = {'image/png', 'image/jpeg', 'image/gif', 'image/svg+xml', 'application/pdf'}
    return HTMLExporter(config=c)

def _notebook(cells:list[dict], site:Site, page:str, nb_pages:dict) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {'language_info': {'name': 'python', 'pygments_lexer': 'ipython3'}}
    for i, c in enumerate(cells):
        if c['kind'] in ('markdown', 'raw'):  # a raw cell's content goes into the page as is, as Quarto does
            cell = nbformat.v4.new_markdown_cell(pandoc_md(c['source']))
            if c.get('attachments'): cell.attachments = c['attachments']
            tags = ['nn-doc'] if c['doc'] else []
        else:
            cell = nbformat.v4.new_code_cell(c['source'])
            cell.outputs = [nbformat.from_dict(o) for o in c['outputs']]
            for o in cell.outputs:
                if o.get('output_type') == 'execute_result': o['execution_count'] = None
            tags = ['nn-fold'] if c['fold'] else []
            if not c['source']: cell.metadata['transient'] = {'remove_source': True}
        cell.id = f'c{i:03d}'
        if tags: cell.metadata['tags'] = tags
        nb.cells.append(cell)
    return nb

def _heading_ids(soup):
    "Pandoc identifiers for every heading (unique per page), with a visible anchor link"
    used = set()
    for h in soup.find_all(re.compile(r'^h[1-6]$')):
        for a in h.find_all('a', class_='anchor-link'): a.decompose()
        span = h.find('span', id=True)  # an explicit `{#id}`
        explicit = span is not None and not span.get_text()
        hid = base = span['id'] if explicit else pandoc_id(h.get_text())
        if explicit: span.decompose()
        n = 0
        while hid in used: n += 1; hid = f'{base}-{n}'
        used.add(hid)
        h['id'] = hid
        a = soup.new_tag('a', href=f'#{hid}', **{'class': 'anchor-link', 'aria-hidden': 'true'}); a.string = '#'
        h.append(a)

def _strip_external(soup, name:str):
    "Nothing on a page may load from outside: drop external scripts/styles, turn external images into links"
    for t in soup.find_all(['script', 'link', 'iframe', 'audio', 'video', 'source', 'embed', 'object']):
        src = t.get('src') or t.get('href') or t.get('data') or ''
        if t.name == 'script' and not src and t.get('type', '').startswith('application/vnd.jupyter'): t.decompose(); continue
        if urlsplit(src).scheme in ('http', 'https') or src.startswith('//'):
            warnings.warn(f'{name}: removed external <{t.name}> {src}'); t.decompose()
    for img in soup.find_all('img'):
        src = img.get('src', '')
        if urlsplit(src).scheme in ('http', 'https') or src.startswith('//'):
            warnings.warn(f'{name}: external image {src} replaced by a link')
            a = soup.new_tag('a', href=src); a.string = img.get('alt') or src
            img.replace_with(a)

def _fold(soup, cells:list[dict]):
    "`#| code-fold` (nbdev's exported source): the code behind a disclosure triangle, open for `code-fold: show`"
    folds = [c for c in cells if c['kind'] == 'code' and c['fold']]
    for cell, c in zip(soup.select('.celltag_nn-fold'), folds):
        inp = cell.find('div', class_='input')
        if not inp: continue
        det = soup.new_tag('details', **{'class': 'code-fold'})
        if c['fold'] == 'show': det['open'] = ''
        summ = soup.new_tag('summary'); summ.string = c['summary']
        inp.wrap(det); det.insert(0, summ)

def render_page(nb:Path, site:Site, pages:list[tuple[str, str, Path]], exporter:HTMLExporter) -> tuple[str, dict, str]:
    "HTML of one page, its extracted output files {relative path: bytes}, its title"
    page = site.page(nb)
    nb_pages = {p.relative_to(site.nbs).as_posix(): pg for pg, _, p in pages}
    fm, cells, widgets = process_nb(nb, site.lib)
    title = str(fm.get('title') or nb.stem)
    desc = str(fm.get('description') or '')
    stem = Path(page).with_suffix('').name
    dcells = doc_cells(cells, widgets)
    body, res = exporter.from_notebook_node(_notebook(dcells, site, page, nb_pages),
                                            resources={'unique_key': stem, 'output_files_dir': f'{stem}_files'})
    soup = BeautifulSoup(body, 'html.parser')
    _heading_ids(soup)
    _strip_external(soup, nb.name)
    _fold(soup, dcells)
    for a in soup.find_all('a', href=True):
        a['href'] = rewrite_href(a['href'], site, page, nb_pages)
        if urlsplit(a['href']).scheme in ('http', 'https') and not a.get('target'): a['rel'] = 'noopener'
    toc = [(h['id'], h.get_text()[:-1].strip()) for h in soup.find_all('h2')]
    root = os.path.relpath('.', Path(page).parent.as_posix() or '.').replace(os.sep, '/')
    root = '' if root == '.' else root + '/'
    html_out = _page_html(site, page, title, desc, str(soup), toc, pages, root, nb)
    return html_out, dict(res.get('outputs', {})), title

def _nav(site, page, pages, toc, root) -> str:
    items = []
    for pg, t, _ in pages:
        cur = pg == page
        li, cur_attr = (' class="active"', ' aria-current="page"') if cur else ('', '')
        items.append(f'<li{li}><a href="{root}{pg}"{cur_attr}>{html.escape(_plain(t))}</a>')
        if cur and toc:
            items.append('<ul class="toc">' + ''.join(f'<li><a href="#{i}">{html.escape(t2)}</a></li>' for i, t2 in toc) + '</ul>')
        items.append('</li>')
    return '<ul class="pages">' + ''.join(items) + '</ul>'

def _inline_md(text:str) -> str:
    "Title and description are markdown (Quarto renders them so): inline HTML without the paragraph"
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    return re.sub(r'^<p>(.*)</p>$', r'\1', markdown2html_mistune(text).strip(), flags=re.S)

def _plain(text:str) -> str: return BeautifulSoup(_inline_md(text), 'html.parser').get_text()

def _page_html(site, page, title, desc, body, toc, pages, root, nb) -> str:
    colab, gh = html.escape(site.colab(nb), quote=True), html.escape(site.github(nb), quote=True)
    head_title = _plain(title) if page == 'index.html' and title == site.title else f'{_plain(title)} – {site.title}'
    return f'''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tools/build_docs.py (nbdev processors + nbconvert, offline)">
<title>{html.escape(head_title)}</title>
<meta name="description" content="{html.escape(_plain(desc), quote=True)}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{root}assets/site.css">
</head>
<body>
<!-- Generated from {site.nbs_rel}/{nb.relative_to(site.nbs).as_posix()} by tools/build_docs.py: do not edit. -->
<nav class="sidebar" aria-label="Pages">
<a class="site-title" href="{root}index.html">{html.escape(site.title)}</a>
{_nav(site, page, pages, toc, root)}
<p class="site-links"><a href="{html.escape(site.git_url, quote=True)}" rel="noopener">Source on GitHub</a></p>
</nav>
<main>
<header class="page-header">
<h1 class="title">{_inline_md(title)}</h1>
{f'<p class="description">{_inline_md(desc)}</p>' if desc else ''}
<p class="badges"><a class="colab" href="{colab}" target="_blank" rel="noopener"><img src="{root}assets/colab-badge.svg" alt="Open In Colab" width="117" height="20"></a>
<a class="nb-source" href="{gh}" rel="noopener">{html.escape(nb.name)}</a></p>
</header>
<article>
{body}
</article>
<footer>Rendered from the saved outputs of <code>{html.escape(nb.name)}</code>. Run it yourself: open it in Colab, or see the README.</footer>
</main>
</body>
</html>
'''

# ---------------------------------------------------------------------------------------------------------------------
# Assets

COLAB_BADGE = '''<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img" aria-label="Open In Colab">
<title>Open In Colab</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="117" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="69" height="20" fill="#555"/><rect x="69" width="48" height="20" fill="#f9ab00"/><rect width="117" height="20" fill="url(#s)"/></g>
<g fill="none" stroke-width="2.4"><path d="M10.2 6.2a4.2 4.2 0 1 0 0 7.6" stroke="#f9ab00"/><path d="M13.6 6.2a4.2 4.2 0 1 1 0 7.6" stroke="#e37400"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="43" y="15" fill="#010101" fill-opacity=".3">Open in</text><text x="43" y="14">Open in</text>
<text x="93" y="15" fill="#010101" fill-opacity=".3">Colab</text><text x="93" y="14">Colab</text></g>
</svg>
'''

SITE_CSS = '''/* nervenet offline docs (tools/build_docs.py). System fonts only: nothing is fetched. */
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg-soft:#f6f8fa; --accent:#0b5cad; --side:17rem; }
* { box-sizing: border-box; }
html { scroll-padding-top: 1rem; }
body { margin:0; color:var(--fg); background:#fff; font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
code, pre, kbd { font-family: ui-monospace,SFMono-Regular,"DejaVu Sans Mono",Menlo,Consolas,monospace; font-size:.88em; }
.sidebar { position:fixed; top:0; left:0; bottom:0; width:var(--side); overflow-y:auto; padding:1.4rem 1rem 2rem 1.4rem;
  background:var(--bg-soft); border-right:1px solid var(--line); font-size:.93rem; }
.site-title { display:block; font-weight:700; font-size:1.35rem; color:var(--fg); margin-bottom:1rem; }
.sidebar ul { list-style:none; margin:0; padding:0; }
.sidebar .pages > li > a { display:block; padding:.22rem .55rem; border-radius:6px; color:var(--fg); }
.sidebar .pages > li.active > a { background:#dde8f5; font-weight:600; color:var(--accent); }
.sidebar .toc { margin:.2rem 0 .5rem .9rem; border-left:2px solid var(--line); }
.sidebar .toc a { display:block; padding:.08rem .6rem; color:var(--muted); font-size:.86rem; }
.site-links { margin-top:1.5rem; font-size:.85rem; }
main { margin-left:var(--side); max-width:62rem; padding:1.6rem 2.4rem 3rem; }
.page-header h1.title { font-size:2.2rem; line-height:1.2; margin:.2rem 0 .4rem; border:0; }
.page-header .description { font-size:1.15rem; color:var(--muted); font-style:italic; margin:.2rem 0 .8rem; }
.badges { display:flex; gap:.9rem; align-items:center; margin:.4rem 0 1.4rem; font-size:.85rem; }
.badges img { display:block; }
.nb-source { color:var(--muted); }
h1, h2, h3, h4 { line-height:1.25; margin:1.8rem 0 .7rem; }
h2 { font-size:1.6rem; padding-bottom:.25rem; border-bottom:1px solid var(--line); }
h3 { font-size:1.25rem; } h4 { font-size:1.05rem; }
.anchor-link { margin-left:.4rem; font-size:.8em; color:var(--line); visibility:hidden; }
h1:hover .anchor-link, h2:hover .anchor-link, h3:hover .anchor-link, h4:hover .anchor-link { visibility:visible; }
p, ul, ol, table, blockquote { margin:.6rem 0 .9rem; }
blockquote { margin-left:0; padding:.1rem 1rem; border-left:4px solid var(--line); color:var(--muted); }
table { border-collapse:collapse; font-size:.9rem; }
table[border] { border:0; }
.text_cell_render, .output_html { overflow-x:auto; }
th, td { border:1px solid var(--line); padding:.3rem .6rem; text-align:left; vertical-align:top; }
thead th, tr:first-child th { background:var(--bg-soft); }
.cell { margin:.9rem 0; }
.input_area { background:var(--bg-soft); border:1px solid var(--line); border-radius:6px; overflow-x:auto; }
.input_area pre, .highlight pre { margin:0; padding:.7rem .9rem; line-height:1.45; background:none; }
.output_area pre { margin:0; padding:.5rem .9rem; overflow-x:auto; white-space:pre-wrap; overflow-wrap:anywhere; line-height:1.45; background:#fff; border-left:3px solid #f4b183; }
.output_stderr pre { background:#fff8f0; border-left-color:#e0823d; }
.output_error pre { background:#fff0f0; border-left-color:#d1242f; }
.output_area { margin-top:.35rem; }
.output_png img, .output_jpeg img, .output_svg img, .output_area img { max-width:100%; height:auto; display:block; }
.output_html { overflow-x:auto; }
.prompt { display:none; }
.text_cell_render { padding:0; }
.nn-doc, .celltag_nn-doc { border-top:1px solid var(--line); margin-top:2rem; }
.celltag_nn-doc hr { display:none; }
.text_cell_render pre { background:var(--bg-soft); border:1px solid var(--line); border-radius:6px; padding:.7rem .9rem; overflow-x:auto; line-height:1.45; }
.text_cell_render .highlight pre { border:0; }
.text_cell_render .highlight { background:var(--bg-soft); border:1px solid var(--line); border-radius:6px; }
.celltag_nn-doc h3 { margin-top:.8rem; font-family:ui-monospace,SFMono-Regular,"DejaVu Sans Mono",Menlo,Consolas,monospace; font-size:1.12rem; }
.celltag_nn-doc .highlight, .celltag_nn-doc pre { background:var(--bg-soft); border-radius:6px; }
.celltag_nn-doc pre { padding:.6rem .9rem; overflow-x:auto; }
.celltag_nn-doc table { font-size:.85rem; }
details.code-fold > summary { cursor:pointer; color:var(--muted); font-size:.88rem; margin:.2rem 0; }
.widget-note { color:var(--muted); font-style:italic; }
.callout-note, .callout-tip, .callout-warning, .callout-important, .callout-caution { margin:1rem 0; padding:.5rem 1rem;
  border:1px solid var(--line); border-left:5px solid #0b5cad; border-radius:6px; background:#f5f9fd; }
.callout-tip { border-left-color:#1a7f37; background:#f4fbf6; } .callout-warning, .callout-caution { border-left-color:#bf8700; background:#fffaf0; }
.callout-important { border-left-color:#d1242f; background:#fff5f5; }
.dataframe { font-size:.85rem; }
footer { margin-top:3rem; padding-top:1rem; border-top:1px solid var(--line); color:var(--muted); font-size:.85rem; }
@media (max-width: 900px) {
  .sidebar { position:static; width:auto; border-right:0; border-bottom:1px solid var(--line); }
  main { margin-left:0; padding:1rem; }
}
'''

def write_assets(out:Path):
    (out/'assets').mkdir(parents=True, exist_ok=True)
    css = SITE_CSS + '\n/* code highlighting: pygments "default" */\n' + HtmlFormatter(style='default').get_style_defs('.highlight') + '\n'
    (out/'assets'/'site.css').write_text(css, encoding='utf-8', newline='\n')
    (out/'assets'/'colab-badge.svg').write_text(COLAB_BADGE, encoding='utf-8', newline='\n')

# ---------------------------------------------------------------------------------------------------------------------

def _copy_local_media(html_text:str, page:str, nb:Path, site:Site, out:Path):
    "Images referenced by markdown (e.g. `![](images/x.png)` next to the notebook) are copied next to the page"
    for src in re.findall(r'<img[^>]+src="([^"]+)"', html_text):
        src = html.unescape(src)
        if urlsplit(src).scheme or src.startswith(('/', '#')): continue
        dest = out/Path(page).parent/src
        if dest.exists(): continue
        orig = nb.parent/src
        if orig.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(orig, dest)

def _resolve_anchors(text:str, page:str, ids:dict, notes:list) -> str:
    """nbdev links every API name it knows (`RunConfig.load` -> core.html#runconfig.load), also names that have no
    `show_doc` and so no heading. Such a link goes to the nearest documented parent (`#runconfig`), else to the page."""
    def fix(m):
        href = html.unescape(m[1])
        if urlsplit(href).scheme or href.startswith('//') or '#' not in href: return m[0]
        path, _, frag = href.partition('#')
        target = os.path.normpath(os.path.join(os.path.dirname(page), path)).replace(os.sep, '/') if path else page
        if target not in ids or frag in ids[target]: return m[0]
        parts = frag.split('.')[:-1]
        while parts and '.'.join(parts) not in ids[target]: parts.pop()
        new = f'{path}#{".".join(parts)}' if parts else (path or '#')
        notes.append(f'{target} has no #{frag} (add a show_doc for it); {page} links to {new} instead')
        return f'href="{html.escape(new, quote=True)}"'
    return re.sub(r'href="([^"]*#[^"]*)"', fix, text)

def build(nbs:Path|None=None, out:Path|None=None, quiet:bool=False) -> Path:
    site = Site(nbs)
    out = Path(out).absolute() if out else Path(site.cfg.doc_path)
    nbs_list = site.notebooks()
    if not nbs_list: sys.exit(f'no notebooks in {site.nbs}')
    titles = []
    for nb in nbs_list:  # page titles for the sidebar: nbdev's front matter, without processing the whole notebook
        raw = read_nb(nb)
        t = None
        for c in raw.cells:
            if c.cell_type == 'markdown':
                m = re.search(r'^#\s+(\S.*?)\s*$', c.source, flags=re.M)
                if m: t = m[1]; break
        titles.append(t or nb.stem)
    pages = [(site.page(nb), t, nb) for nb, t in zip(nbs_list, titles)]
    exporter = _exporter()
    tmp = Path(tempfile.mkdtemp(prefix='.docs-', dir=out.parent))
    try:
        write_assets(tmp)
        rendered = {}
        for pg, _, nb in pages:
            try: rendered[pg] = render_page(nb, site, pages, exporter)
            except Exception: print(f'build_docs: failed on {nb}', file=sys.stderr); raise
        ids = {pg: set(re.findall(r'\sid="([^"]+)"', r[0])) for pg, r in rendered.items()}
        notes = []
        for pg, _, nb in pages:
            text, files, title = rendered[pg]
            text = _resolve_anchors(text, pg, ids, notes)
            dest = tmp/pg
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding='utf-8', newline='\n')
            for fn, data in sorted(files.items()):
                f = dest.parent/fn
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_bytes(data if isinstance(data, bytes) else data.encode())
            _copy_local_media(text, pg, nb, site, tmp)
            if not quiet: print(f'{nb.relative_to(site.root)} -> {(out/pg).relative_to(site.root) if out.is_relative_to(site.root) else out/pg}  ({title}, {len(files)} output files)')
        for n in sorted(set(notes)): print(f'note: {n}')
        tmp.chmod(0o755)
        if out.exists(): shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists(): shutil.rmtree(tmp)
    if not quiet: print(f'docs: {len(pages)} pages in {out}')
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--nbs', help='notebook folder (default: nbs_path in settings.ini)')
    p.add_argument('--out', help='output folder (default: doc_path in settings.ini); replaced entirely')
    p.add_argument('-q', '--quiet', action='store_true')
    a = p.parse_args()
    build(a.nbs, a.out, a.quiet)

if __name__ == '__main__': main()
