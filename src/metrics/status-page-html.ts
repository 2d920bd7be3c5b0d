/**
 * The status page itself: one self-contained HTML document (inline CSS and script, no
 * build step, nothing fetched from elsewhere). It listens to /events (Server-Sent Events)
 * and falls back to polling /status.json every second when the stream breaks. Data is
 * put in the DOM with textContent only: URIs come from configuration and must not be
 * read as markup.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dsd status</title>
<style>
  :root { --ok: #1a7f37; --down: #cf222e; --warn: #bf8700; --mute: #6e7781; --bg: #ffffff; --fg: #1f2328; --line: #d0d7de; }
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: var(--fg); background: var(--bg); }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  #meta { color: var(--mute); margin-bottom: 1rem; }
  #conn.live { color: var(--ok); } #conn.stale { color: var(--down); }
  h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
  th { font-weight: 600; color: var(--mute); font-size: .85rem; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.dest td:first-child { border-left: 4px solid var(--ok); }
  tr.dest.down td:first-child { border-left-color: var(--down); }
  tr.dest.down { background: #ffebe9; }
  tr.dest.trying { background: #fff8c5; }
  tr.dest.draining { background: #f6f8fa; }
  .badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .8rem; font-weight: 600; color: #fff; background: var(--ok); }
  .badge.inactive, .badge.disabled { background: var(--down); }
  .badge.trying { background: var(--warn); }
  .mark { display: inline-block; margin-right: .3rem; padding: 0 .4rem; border: 1px solid var(--line); border-radius: .3rem; font-size: .8rem; }
  .uri { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
  svg.spark { width: 120px; height: 24px; vertical-align: middle; }
  svg.spark polyline { fill: none; stroke: #0969da; stroke-width: 1.5; }
</style>
</head>
<body>
<h1>dsd — destinations</h1>
<div id="meta"><span id="conn">connecting…</span> · <span id="info"></span></div>
<div id="sets"></div>
<script>
(function () {
  'use strict';
  var setsEl = document.getElementById('sets');
  var conn = document.getElementById('conn');
  var info = document.getElementById('info');
  var lastAt = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function spark(values) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 120 24');
    var pts = [];
    var nums = values.filter(function (v) { return typeof v === 'number'; });
    if (nums.length > 1) {
      var max = Math.max.apply(null, nums), min = Math.min.apply(null, nums);
      var span = max - min || 1;
      values.forEach(function (v, i) {
        if (typeof v !== 'number') return;
        var x = (i / Math.max(1, values.length - 1)) * 118 + 1;
        var y = 22 - ((v - min) / span) * 20;
        pts.push(x.toFixed(1) + ',' + y.toFixed(1));
      });
    }
    var line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', pts.join(' '));
    svg.appendChild(line);
    return svg;
  }

  function row(d) {
    var tr = el('tr', 'dest');
    var down = d.state === 'inactive' || d.state === 'disabled';
    if (down) tr.classList.add('down');
    if (d.state === 'trying') tr.classList.add('trying');
    if (d.draining) tr.classList.add('draining');
    tr.dataset.uri = d.uri;
    tr.dataset.state = d.state;
    tr.appendChild(el('td', 'uri', d.uri));
    var st = el('td');
    st.appendChild(el('span', 'badge ' + d.state, d.state + (d.probing ? ', probing' : '')));
    tr.appendChild(st);
    tr.appendChild(el('td', 'uri', d.flags));
    var marks = el('td');
    if (d.draining) marks.appendChild(el('span', 'mark', 'draining'));
    if (d.ejected) marks.appendChild(el('span', 'mark', 'ejected'));
    if (d.slowStart !== null) marks.appendChild(el('span', 'mark', 'slow start ' + d.slowStart + '%'));
    tr.appendChild(marks);
    tr.appendChild(el('td', 'num', d.latencyMs === null ? '–' : d.latencyMs + ' ms'));
    var sp = el('td');
    sp.appendChild(spark(d.history.latencyMs));
    tr.appendChild(sp);
    tr.appendChild(el('td', 'num', d.callsPerSec));
    tr.appendChild(el('td', 'num', d.activeDialogs));
    tr.appendChild(el('td', 'num', d.calls));
    tr.appendChild(el('td', 'num', d.failovers));
    return tr;
  }

  function render(doc) {
    lastAt = Date.now();
    conn.textContent = 'live';
    conn.className = 'live';
    info.textContent = 'dsd ' + doc.version + ' · up ' + doc.uptimeSec + ' s · keepalives ' + (doc.pingActive ? 'on' : 'off') + ' · ' + doc.now;
    var frag = document.createDocumentFragment();
    if (doc.sets.length === 0) frag.appendChild(el('p', null, 'No destination sets.'));
    doc.sets.slice().sort(function (a, b) { return a.id - b.id; }).forEach(function (s) {
      var sec = el('section');
      sec.dataset.set = String(s.id);
      sec.appendChild(el('h2', null, 'Set ' + s.id));
      var t = el('table');
      var head = el('tr');
      ['Destination', 'State', 'Flags', 'Marks', 'Latency', 'Last 5 min', 'Calls/s', 'Active dialogs', 'Calls', 'Failovers']
        .forEach(function (h) { head.appendChild(el('th', null, h)); });
      var thead = el('thead'); thead.appendChild(head); t.appendChild(thead);
      var tb = el('tbody');
      s.destinations.forEach(function (d) { tb.appendChild(row(d)); });
      t.appendChild(tb);
      sec.appendChild(t);
      frag.appendChild(sec);
    });
    setsEl.replaceChildren(frag);
  }

  var polling = null;
  function poll() {
    fetch('status.json', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(render, function () {});
  }
  function startPolling() {
    if (polling === null) { poll(); polling = setInterval(poll, 1000); }
  }
  if (window.EventSource) {
    var es = new EventSource('events');
    es.onmessage = function (m) {
      if (polling !== null) { clearInterval(polling); polling = null; }
      render(JSON.parse(m.data));
    };
    es.onerror = function () { startPolling(); };
  } else {
    startPolling();
  }
  setInterval(function () {
    if (lastAt && Date.now() - lastAt > 5000) { conn.textContent = 'stale (no update for ' + Math.round((Date.now() - lastAt) / 1000) + ' s)'; conn.className = 'stale'; }
  }, 1000);
})();
</script>
</body>
</html>
`;
