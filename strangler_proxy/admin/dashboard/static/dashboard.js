// The migration dashboard: renders the state /dashboard/live pushes (server-sent events),
// flips routes through the admin API (PATCH /routes/{id}, X-CSRF-Token), opens traces
// (GET /traces/{key}). Plain DOM + SVG; every text is set with textContent (never HTML).
"use strict";

const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const ACTOR = document.querySelector('meta[name="actor"]').content;
const SVG = "http://www.w3.org/2000/svg";
const MODE_COLOURS = { monolith: "#64748b", shadow: "#7c3aed", canary: "#d97706", service: "#059669" };
let state = null;

function el(tag, attrs, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "style") node.style.cssText = value; // CSSOM: allowed by the page's CSP
    else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const pct = (x, digits = 1) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(digits)}%`);
const ms = (x) => (x === null || x === undefined ? "–" : x >= 100 ? `${Math.round(x)}` : x.toFixed(1));
const num = (x) => (x === null || x === undefined ? "–" : x >= 100 ? Math.round(x).toString() : x.toFixed(1));

// -- live feed ------------------------------------------------------------------------------
function connect() {
  const source = new EventSource("/dashboard/live");
  source.addEventListener("state", (event) => {
    state = JSON.parse(event.data);
    live(true, `updated ${new Date().toLocaleTimeString()}`);
    render(state);
  });
  source.addEventListener("open", () => live(true, "live"));
  source.addEventListener("error", async () => {
    live(false, "reconnecting…");
    const answer = await fetch("/dashboard/state", { credentials: "same-origin" }).catch(() => null);
    if (answer && answer.status === 401) window.location.assign("/dashboard/login");
  });
}

function live(on, text) {
  document.getElementById("live-dot").className = on ? "dot on" : "dot off";
  document.getElementById("live-text").textContent = text;
}

function render(s) {
  const t = s.totals;
  document.getElementById("summary").textContent =
    `${t.moved} of ${t.routes} routes served by services · ${num(t.rps)} req/s · store version ${s.version}`;
  document.getElementById("window-note").textContent =
    `errors, latency and budget over the last ${s.window_seconds} s; req/s over 5 s`;
  renderRoutes(s.routes);
  renderGraph(s.graph);
  renderServices(s.services);
  renderEvents(s.events);
}

// -- routes ---------------------------------------------------------------------------------
function renderRoutes(routes) {
  const body = document.querySelector("#routes tbody");
  const words = document.getElementById("route-filter").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const shown = routes.filter((r) => {
    const text = `${r.id} ${r.template} ${r.mode} ${r.service || ""} ${r.gate.state}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
  body.replaceChildren(...shown.map(routeRow));
  if (routes.length && !shown.length) body.append(el("tr", {}, el("td", { colspan: 11, class: "muted", text: "no route matches the filter" })));
  if (!routes.length) body.append(el("tr", {}, el("td", { colspan: 11, class: "muted", text: "no routes yet (strangler routes import)" })));
}

function routeRow(r) {
  const lat = r.latency;
  const side = (which, key) => (lat[which] ? ms(lat[which][key]) : "–");
  const shadow = r.shadow;
  const burn = r.budget;
  const worst = burn.worst;
  const burnClass = worst === null ? "burn" : worst >= 1 ? "burn bad" : worst >= 0.5 ? "burn warn" : "burn";
  const burnTitle = Object.entries(burn.figures)
    .map(([k, v]) => `${k}: ${v === null ? "–" : pct(v, 0)} of budget`).join("\n") +
    (burn.judged ? "" : `\nnot judged (${burn.requests} of ${burn.min_requests} requests, or not serving)`);
  const paths = shadow.top_paths.map((p) => `${p.path} (${p.count})`).join(", ");
  return el("tr", { "data-route": r.id },
    el("td", {}, el("strong", { text: r.id }), el("span", { class: "sub", text: `${(r.methods || []).join(",") || "ANY"} ${r.template}` })),
    el("td", {}, el("span", { class: `pill mode mode-${r.mode}`, text: r.mode }),
      r.mode === "canary" ? el("span", { class: "sub", text: `${r.percent}%` }) : null,
      r.service ? el("span", { class: "sub", text: `→ ${r.service}` }) : null),
    el("td", { title: `monolith ${r.split.monolith}% · service ${r.split.service}%` },
      el("span", { class: "sub", text: `${r.split.monolith} / ${r.split.service}` }),
      el("div", { class: "split" }, el("div", { class: "m", style: `width:${r.split.monolith}%` }), el("div", { class: "s", style: `width:${r.split.service}%` }))),
    el("td", { class: "num rps", text: num(r.rps) }),
    el("td", { class: "num", text: pct(r.error_rate) }),
    el("td", { class: "num", text: `${side("service", "p50_ms")} / ${side("monolith", "p50_ms")} ms` }),
    el("td", { class: "num", text: `${side("service", "p99_ms")} / ${side("monolith", "p99_ms")} ms` }),
    el("td", { title: shadow.top_paths.map((p) => `${p.path} ×${p.count}\ne.g. ${p.example}`).join("\n\n") },
      shadow.samples ? `${pct(shadow.match_rate, 2)}` : el("span", { class: "muted", text: "no samples" }),
      shadow.samples ? el("span", { class: "sub", text: `${shadow.samples} samples, ${shadow.mismatch} mismatched` }) : null,
      paths ? el("span", { class: "paths", text: paths }) : null),
    el("td", { title: r.gate.missing.join("\n") || "the evidence meets the bar" },
      el("span", { class: `pill gate-${r.gate.state.replace(" ", "-")}`, text: r.gate.state })),
    el("td", { title: burnTitle },
      el("span", { class: "sub", text: !burn.serving ? "not serving" : worst === null ? "no service traffic" :
        `${burn.worst_figure} ${worst > 9.99 ? ">999%" : pct(worst, 0)}${burn.judged ? "" : " (too few requests)"}` }),
      el("div", { class: burnClass }, el("div", { style: `width:${Math.min(100, (worst || 0) * 100)}%` }))),
    el("td", {}, el("button", { type: "button", class: "flip", "data-route": r.id, text: "Flip…", on: { click: () => openFlip(r) } })));
}

// -- flip -------------------------------------------------------------------------------------
let flipping = null;
function openFlip(route) {
  flipping = route;
  document.getElementById("flip-route").textContent = route.id;
  document.getElementById("flip-mode").value = route.mode;
  document.getElementById("flip-percent").value = route.mode === "canary" ? route.percent : 10;
  document.getElementById("flip-service").value = route.service || "";
  document.getElementById("flip-reason").value = "";
  document.getElementById("flip-force").checked = false;
  document.getElementById("flip-error").textContent = "";
  document.getElementById("flip").showModal();
}

async function submitFlip(event) {
  event.preventDefault();
  const reason = document.getElementById("flip-reason").value.trim();
  const error = document.getElementById("flip-error");
  if (!reason) { error.textContent = "a reason is required (it goes into the audit log)"; return; }
  const mode = document.getElementById("flip-mode").value;
  const body = { mode, reason, force: document.getElementById("flip-force").checked };
  if (mode === "canary") body.percent = Number(document.getElementById("flip-percent").value);
  const service = document.getElementById("flip-service").value.trim();
  if (service && mode !== "monolith") body.service = service;
  const answer = await fetch(`/routes/${encodeURIComponent(flipping.id)}`, {
    method: "PATCH", credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": CSRF },
    body: JSON.stringify(body),
  });
  if (answer.ok) { document.getElementById("flip").close(); return; }
  const found = await answer.json().catch(() => null);
  error.textContent = (found && found.error && found.error.message) || `HTTP ${answer.status}`;
}

// -- service graph ----------------------------------------------------------------------------
function progressColour(p) {
  if (p === null || p === undefined) return "#e2e8f0";
  // grey-blue (monolith) to green (service)
  const a = [100, 116, 139], b = [5, 150, 105];
  return `rgb(${a.map((x, i) => Math.round(x + (b[i] - x) * p)).join(",")})`;
}

function renderGraph(graph) {
  const svg = document.getElementById("graph");
  const note = document.getElementById("graph-note");
  if (!graph) {
    svg.replaceChildren();
    svg.style.display = "none";
    note.textContent = "No analyzer report (strangler proxy run --report var/report/report.json).";
    return;
  }
  svg.style.display = "";
  note.textContent = "";
  const W = 720, H = 430, cx = W / 2, cy = H / 2 - 12;
  // services on an ellipse filling the panel, the shared library (if any) in the middle
  const nodes = graph.nodes;
  const ring = nodes.filter((n) => !n.shared);
  const rx = W / 2 - 90, ry = H / 2 - 70;
  const at = {};
  ring.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / Math.max(ring.length, 1) - Math.PI / 2;
    at[n.name] = ring.length === 1 ? [cx, cy] : [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)];
  });
  nodes.filter((n) => n.shared).forEach((n) => { at[n.name] = [cx, cy]; });
  const maxWeight = Math.max(1, ...graph.edges.map((e) => e.weight));
  const edges = graph.edges.filter((e) => at[e.source] && at[e.target]).map((e) =>
    el("svg:line", { class: "edge", x1: at[e.source][0], y1: at[e.source][1], x2: at[e.target][0], y2: at[e.target][1],
      "stroke-width": 1 + 5 * (e.weight / maxWeight), "stroke-opacity": 0.25 + 0.55 * (e.weight / maxWeight) },
      el("svg:title", { text: `${e.source} → ${e.target} (weight ${e.weight})` })));
  const drawn = nodes.map((n) => {
    const [x, y] = at[n.name];
    const r = n.shared ? 16 : 18 + Math.min(12, n.routes * 1.2);
    const title = n.shared ? `${n.name}: shared library (no routes)` :
      `${n.name}: ${n.moved} of ${n.routes} routes moved (${pct(n.progress, 0)})\n` +
      Object.entries(n.modes).map(([m, c]) => `${m}: ${c}`).join(", ");
    const arc = [];
    if (n.progress !== null && n.progress > 0) {
      const circumference = 2 * Math.PI * (r + 4);
      arc.push(el("svg:circle", { cx: x, cy: y, r: r + 4, fill: "none", stroke: "#059669", "stroke-width": 3,
        "stroke-dasharray": `${circumference * n.progress} ${circumference}`, transform: `rotate(-90 ${x} ${y})` }));
    }
    return el("svg:g", { class: "node", "data-service": n.name, "data-progress": n.progress === null ? "" : n.progress },
      el("svg:title", { text: title }),
      el("svg:circle", { cx: x, cy: y, r, fill: n.shared ? "#f1f5f9" : progressColour(n.progress ?? 0),
        stroke: n.shared ? "#94a3b8" : "#fff", "stroke-width": 2, "stroke-dasharray": n.shared ? "4 3" : null }),
      ...arc,
      el("svg:text", { x, y: y + 4, fill: n.shared ? "#64748b" : "#fff", style: "font-weight:600", text: n.progress === null ? "" : pct(n.progress, 0) }),
      el("svg:text", { class: "label", x, y: y + r + 18, text: n.name }),
      el("svg:text", { class: "moved label", x, y: y + r + 32, text: n.shared ? "shared library" : `${n.moved} of ${n.routes} routes moved` }));
  });
  const legend = el("svg:g", { class: "legend" },
    ...[0, 0.5, 1].map((p, i) => [
      el("svg:rect", { x: 10 + i * 88, y: H - 16, width: 12, height: 12, rx: 3, fill: progressColour(p) }),
      el("svg:text", { x: 26 + i * 88, y: H - 6, text: `${p * 100}% moved` })]).flat());
  svg.replaceChildren(...edges, ...drawn, legend);
}

// -- services and events ------------------------------------------------------------------------
function renderServices(services) {
  const body = document.querySelector("#services tbody");
  body.replaceChildren(...services.map((s) => el("tr", { "data-service": s.name },
    el("td", {}, el("strong", { text: s.name })),
    el("td", {}, el("span", { class: `pill state-${s.state}`, text: s.state })),
    el("td", { title: s.instances.map((i) => `${i.url}: ${i.healthy === null ? "not checked" : i.ejected ? "ejected" : i.healthy ? "healthy" : "unhealthy"}${i.last_check_error ? " (" + i.last_check_error + ")" : ""}`).join("\n") },
      `${s.up} of ${s.instances.length} up`,
      ...s.instances.map((i) => el("span", { class: "sub", text: `${i.url} ${i.ejected ? "ejected" : i.healthy ? "✓" : i.healthy === null ? "?" : "✗"}` }))),
    el("td", { class: "num", text: s.ejections }),
    el("td", { text: s.serving.length ? s.serving.join(", ") : "–" }))));
  if (!services.length) body.append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "no service registered" })));
}

function renderEvents(events) {
  const box = document.getElementById("events");
  if (!events.available) {
    box.replaceChildren(el("p", { class: "muted", text: "Not watched (strangler proxy run --events-source NAME=URL, --events-broker URL)." }));
    return;
  }
  if (events.error) { box.replaceChildren(el("p", { class: "error", text: events.error })); return; }
  if (events.loading) { box.replaceChildren(el("p", { class: "muted", text: "reading…" })); return; }
  const backlog = el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "Outbox" }), el("th", { class: "num", text: "Unpublished" }))),
    el("tbody", {}, ...events.backlog.map((b) => el("tr", {}, el("td", { text: b.source }),
      el("td", { class: "num", text: b.unpublished === null ? (b.error || "unreadable") : b.unpublished })))));
  const subscribers = el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "Subscriber" }), el("th", { class: "num", text: "Lag" }),
    el("th", { class: "num", text: "Oldest" }), el("th", { class: "num", text: "Dead letters" }))),
    el("tbody", {}, ...events.subscribers.map((s) => el("tr", {}, el("td", { text: s.subscriber }),
      el("td", { class: "num", text: s.lag === null ? "–" : s.lag }),
      el("td", { class: "num", text: s.lag_age_seconds ? `${num(s.lag_age_seconds)} s` : "–" }),
      el("td", { class: `num${s.dead_letters ? " error" : ""}`, text: s.dead_letters })))));
  const head = el("p", { class: "muted", text: events.stream === "embedded" ?
    "Embedded relay (no broker): the outbox backlog is the lag." : `Stream ${events.stream}: ${events.messages} messages.` });
  box.replaceChildren(head, backlog, events.subscribers.length ? subscribers : el("p", { class: "muted", text: "no subscriber yet" }));
}

// -- traces ---------------------------------------------------------------------------------------
const SERVICE_COLOURS = ["#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d"];

async function openTrace(event) {
  event.preventDefault();
  const key = document.getElementById("trace-key").value.trim();
  const message = document.getElementById("trace-message");
  if (!key) return;
  message.textContent = "looking…";
  const answer = await fetch(`/traces/${encodeURIComponent(key)}`, { credentials: "same-origin" });
  const found = await answer.json().catch(() => null);
  if (!answer.ok) {
    message.textContent = (found && found.error && found.error.message) || `HTTP ${answer.status}`;
    document.getElementById("waterfall").replaceChildren();
    return;
  }
  message.textContent = `trace ${found.trace_id}: ${found.rows.length} spans, ${ms(found.duration_ms)} ms, ` +
    `${found.services.join(", ")}${found.matches.length > 1 ? ` (${found.matches.length} traces match)` : ""}`;
  drawWaterfall(found);
}

function drawWaterfall(trace) {
  const rowH = 22, labelW = 360, W = 1300, top = 20;
  const total = Math.max(trace.duration_ms, 0.001);
  const scale = (W - labelW - 80) / total;
  const colour = {};
  trace.services.forEach((s, i) => { colour[s] = SERVICE_COLOURS[i % SERVICE_COLOURS.length]; });
  const H = top + trace.rows.length * rowH + 10;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => [
    el("svg:line", { class: "grid", x1: labelW + f * total * scale, x2: labelW + f * total * scale, y1: 12, y2: H }),
    el("svg:text", { x: labelW + f * total * scale, y: 10, "text-anchor": "middle", text: `${ms(f * total)} ms` })]).flat();
  const rows = trace.rows.map((row, i) => {
    const y = top + i * rowH;
    const x = labelW + row.start_ms * scale;
    const w = Math.max(2, row.duration_ms * scale);
    return el("svg:g", { class: "span", "data-span": row.span_id },
      el("svg:title", { text: `${row.service}: ${row.name} (${row.kind})\n${ms(row.duration_ms)} ms, status ${row.status}\n` +
        Object.entries(row.attributes || {}).map(([k, v]) => `${k} = ${v}`).join("\n") }),
      el("svg:text", { x: 6 + row.depth * 14, y: y + 14, text: `${row.service} · ${row.name}`.slice(0, 56) }),
      el("svg:rect", { x, y: y + 4, width: w, height: rowH - 8, rx: 3, fill: colour[row.service] || "#64748b",
        class: row.status === "error" ? "error-span" : null }),
      el("svg:text", { x: x + w + 5, y: y + 14, fill: "#64748b", text: `${ms(row.duration_ms)} ms` }));
  });
  document.getElementById("waterfall").replaceChildren(
    el("svg:svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "trace waterfall" }, ...ticks, ...rows));
}

// -- start ----------------------------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("actor").textContent = ACTOR;
  document.getElementById("flip-form").addEventListener("submit", submitFlip);
  document.getElementById("flip-cancel").addEventListener("click", () => document.getElementById("flip").close());
  document.getElementById("trace-form").addEventListener("submit", openTrace);
  document.getElementById("route-filter").addEventListener("input", () => { if (state) renderRoutes(state.routes); });
  document.getElementById("logout").addEventListener("click", async () => {
    await fetch("/dashboard/logout", { method: "POST", credentials: "same-origin", headers: { "x-csrf-token": CSRF } });
    window.location.assign("/dashboard/login");
  });
  const params = new URLSearchParams(window.location.search);
  if (params.get("trace")) {
    document.getElementById("trace-key").value = params.get("trace");
    openTrace(new Event("submit"));
  }
  connect();
});
