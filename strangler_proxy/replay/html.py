"""A replay as one self-contained HTML page (pure: a run in, text out; no network to view it).

The data travels as JSON inside the page (``<`` escaped so no value can close the script);
a few lines of script draw the tables and filter requests by verdict. Every value shown goes
through ``textContent``, never ``innerHTML``.

>>> from strangler_proxy.replay.runner import Run
>>> page = as_html(Run(), title="catalog vs monolith")
>>> page.startswith("<!doctype html>") and "catalog vs monolith" in page
True
>>> "http://" in page.replace("http://www.w3.org/2000/svg", "")
False
"""

from __future__ import annotations

import html

import orjson

from strangler_proxy.replay.report import as_json
from strangler_proxy.replay.runner import Run

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #1d2433; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e3e6ec;
  vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code, .path { font-family: ui-monospace, monospace; font-size: 13px; word-break: break-all; }
.verdict { font-weight: 600; } .match { color: #1a7f37; } .noise { color: #9a6700; }
.mismatch { color: #cf222e; } .error { color: #8250df; }
.filters button { margin-right: .4rem; padding: .2rem .7rem; border: 1px solid #c9ced8;
  background: #fff; border-radius: 1rem; cursor: pointer; }
.filters button.on { background: #1d2433; color: #fff; }
details summary { cursor: pointer; }
"""

SCRIPT = """
const data = JSON.parse(document.getElementById('data').textContent);
const el = (tag, text, cls) => { const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
const show = v => v === undefined ? '-' : JSON.stringify(v);
const totals = document.getElementById('totals');
for (const [k, v] of Object.entries(data.totals)) {
  const tr = el('tr'); tr.append(el('th', k), el('td', String(v), 'n')); totals.append(tr);
}
const paths = document.getElementById('paths');
for (const [p, n] of Object.entries(data.paths)) {
  const tr = el('tr'); tr.append(el('td', p, 'path'), el('td', String(n), 'n')); paths.append(tr);
}
const rows = document.getElementById('requests');
const buttons = document.querySelectorAll('.filters button');
function draw(filter) {
  rows.replaceChildren();
  for (const r of data.requests) {
    if (filter !== 'all' && r.verdict !== filter) continue;
    const tr = el('tr'); tr.dataset.verdict = r.verdict;
    tr.append(el('td', r.method + ' ' + r.path, 'path'),
              el('td', r.verdict, 'verdict ' + r.verdict));
    const cell = el('td');
    if (r.error) cell.append(el('span', r.error));
    if (r.differences.length) {
      const d = el('details'); d.append(el('summary', r.differences.length + ' difference(s)'));
      const t = el('table');
      for (const x of r.differences) {
        const row = el('tr');
        row.append(el('td', x.path, 'path'), el('td', x.kind),
                   el('td', show(x.monolith)), el('td', show(x.service)));
        t.append(row);
      }
      d.append(t); cell.append(d);
    }
    if (r.noise.length) cell.append(el('div', 'noise: ' + r.noise.join(', '), 'noise'));
    tr.append(cell); rows.append(tr);
  }
  for (const b of buttons) b.classList.toggle('on', b.dataset.filter === filter);
}
for (const b of buttons) b.addEventListener('click', () => draw(b.dataset.filter));
draw('all');
document.body.dataset.ready = 'yes';
"""


def as_html(run: Run, title: str = "strangler compare") -> str:
    data = orjson.dumps(as_json(run)).decode().replace("<", "\\u003c")
    buttons = "".join(
        f'<button data-filter="{f}">{f}</button>'
        for f in ("all", "mismatch", "error", "noise", "match")
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<table><tbody id="totals"></tbody></table>
<h2>Differing paths (requests showing each)</h2>
<table><thead><tr><th>path</th><th>requests</th></tr></thead><tbody id="paths"></tbody></table>
<h2>Requests</h2>
<div class="filters">{buttons}</div>
<table><thead><tr><th>request</th><th>verdict</th><th>what differs</th></tr></thead>
<tbody id="requests"></tbody></table>
<script type="application/json" id="data">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""
