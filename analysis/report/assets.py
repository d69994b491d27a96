"""The inline CSS and JavaScript of report.html (no CDN: the report opens offline)."""

from __future__ import annotations

CSS = """
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; }
body { margin: 0; background: #f6f7f9; }
header { padding: 16px 24px; background: #1d2330; color: #fff; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; opacity: .85; font-size: 14px; }
main { padding: 16px 24px; }
section { background: #fff; border-radius: 8px; padding: 12px 16px; margin-bottom: 16px;
  box-shadow: 0 1px 2px rgba(0,0,0,.08); }
h2 { font-size: 17px; margin: 4px 0 10px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
.graph-wrap { display: flex; gap: 16px; align-items: stretch; }
#graph { flex: 3; height: 560px; border: 1px solid #dde1e7; border-radius: 6px; background: #fbfcfd;
  cursor: grab; touch-action: none; user-select: none; }
#graph.dragging { cursor: grabbing; }
#details { flex: 2; max-height: 560px; overflow: auto; font-size: 13px; }
#details h3 { margin-top: 0; }
#details ul { margin: 4px 0 10px; padding-left: 18px; }
.controls { margin-bottom: 6px; }
.controls button { font-size: 13px; margin-right: 4px; }
.node { cursor: pointer; }
.node circle { stroke: #fff; stroke-width: 3; }
.node.selected circle { stroke: #1d2330; stroke-width: 4; }
.node:focus { outline: none; }
.node text { font-size: 14px; font-weight: 600; text-anchor: middle; pointer-events: none;
  paint-order: stroke; stroke: #fff; stroke-width: 4px; }
.edge { fill: none; opacity: .75; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e5e8ec;
  vertical-align: top; overflow-wrap: anywhere; }
th { background: #f0f2f5; }
code { font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  margin-right: 6px; }
.muted { color: #6b7280; }
.warnings { background: #fff7e6; border-left: 6px solid #d97706; }
.warnings p { margin: 4px 0 8px; }
"""

JS = """
(function () {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const svg = document.getElementById('graph');
  const details = document.getElementById('details');
  const initial = svg.getAttribute('viewBox').split(' ').map(Number);
  let view = initial.slice();
  const apply = () => svg.setAttribute('viewBox', view.join(' '));
  function zoom(factor, cx, cy) {
    const w = view[2] * factor, h = view[3] * factor;
    view = [cx - (cx - view[0]) * factor, cy - (cy - view[1]) * factor, w, h];
    apply();
  }
  function toGraph(evt) {
    const r = svg.getBoundingClientRect();
    return [view[0] + (evt.clientX - r.left) / r.width * view[2],
            view[1] + (evt.clientY - r.top) / r.height * view[3]];
  }
  svg.addEventListener('wheel', (evt) => {
    evt.preventDefault();
    const [x, y] = toGraph(evt);
    zoom(evt.deltaY > 0 ? 1.15 : 1 / 1.15, x, y);
  }, { passive: false });
  let drag = null;
  svg.addEventListener('pointerdown', (evt) => {
    drag = { x: evt.clientX, y: evt.clientY, view: view.slice(), moved: false };
  });
  window.addEventListener('pointermove', (evt) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    const dx = evt.clientX - drag.x, dy = evt.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; svg.classList.add('dragging'); }
    view = [drag.view[0] - dx / r.width * view[2], drag.view[1] - dy / r.height * view[3],
            view[2], view[3]];
    apply();
  });
  window.addEventListener('pointerup', () => {
    svg.classList.remove('dragging');
    setTimeout(() => { drag = null; }, 0);
  });
  document.getElementById('zoom-in').onclick = () =>
    zoom(1 / 1.3, view[0] + view[2] / 2, view[1] + view[3] / 2);
  document.getElementById('zoom-out').onclick = () =>
    zoom(1.3, view[0] + view[2] / 2, view[1] + view[3] / 2);
  document.getElementById('zoom-reset').onclick = () => { view = initial.slice(); apply(); };
  function list(title, items) {
    const h = document.createElement('h4');
    h.textContent = title + ' (' + items.length + ')';
    const ul = document.createElement('ul');
    for (const item of items) {
      const li = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = item;
      li.appendChild(code);
      ul.appendChild(li);
    }
    return [h, ul];
  }
  function show(name) {
    const service = data.services.find((s) => s.name === name);
    if (!service) return;
    document.querySelectorAll('.node').forEach((n) =>
      n.classList.toggle('selected', n.dataset.service === name));
    details.replaceChildren();
    const h = document.createElement('h3');
    h.textContent = service.name + (service.shared ? ' (shared library)' : '');
    h.id = 'details-title';
    details.appendChild(h);
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = service.modules.length + ' modules, ' + service.lines + ' lines';
    const step = data.steps[name];
    if (step) {
      p.textContent += '; extraction step ' + step.rank + ' of ' + step.of + ' (cost ' +
        step.cost + ')';
    }
    details.appendChild(p);
    details.append(...list('Models', service.models));
    details.append(...list('Endpoints', service.endpoints));
    details.append(...list('Modules', service.modules));
  }
  document.querySelectorAll('.node').forEach((node) => {
    node.addEventListener('click', () => { if (!drag || !drag.moved) show(node.dataset.service); });
    node.addEventListener('keydown', (evt) => {
      if (evt.key === 'Enter' || evt.key === ' ') show(node.dataset.service);
    });
  });
})();
"""
