'use strict';
// The meshfed dashboard: one Server-Sent Events feed (/v1/live) renders clusters,
// destinations and decisions; the what-if form posts to /v1/whatif. The feed is read with
// fetch rather than EventSource because EventSource cannot send the Authorization header the
// query API requires. The token comes from the page's #token=... fragment (never sent to the
// server as part of a URL) or the form, and is kept in this tab's sessionStorage only.

const state = { token: null, snapshot: null, abort: null };

function tokenFromPage() {
  const m = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (m) {
    sessionStorage.setItem('meshfed-token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem('meshfed-token');
}

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (state.token) h['Authorization'] = 'Bearer ' + state.token;
  return h;
}

function setConnection(text, cls) {
  const badge = document.getElementById('connection');
  badge.textContent = text;
  badge.className = 'badge ' + (cls || '');
}

async function connect() {
  if (state.abort) state.abort.abort();
  state.abort = new AbortController();
  try {
    const response = await fetch('/v1/live', { headers: headers({ Accept: 'text/event-stream' }),
      signal: state.abort.signal });
    if (response.status === 401 || response.status === 403) {
      setConnection('token refused', 'down');
      document.getElementById('token-form').hidden = false;
      return;
    }
    if (!response.ok) throw new Error('answered ' + response.status);
    setConnection('live', 'live');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        onMessage(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
    throw new Error('the feed ended');
  } catch (e) {
    if (e.name === 'AbortError') return;
    setConnection('reconnecting: ' + e.message, 'down');
    setTimeout(connect, 2000);
  }
}

function onMessage(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return;
  const payload = JSON.parse(data.join('\n'));
  if (event === 'snapshot') {
    state.snapshot = payload;
    render();
  } else if (event === 'error') {
    setConnection('error: ' + payload.error, 'down');
  }
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c ?? ''));
  return e;
}

function age(iso) {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s < 90 ? s.toFixed(0) + ' s' : (s / 60).toFixed(1) + ' min';
}

function tierLabel(t) {
  return t < 0 ? 'none' : 'tier ' + t;
}

function render() {
  const snap = state.snapshot;
  if (!snap) return;
  const clusters = document.querySelector('#clusters tbody');
  clusters.replaceChildren(...snap.clusters.map(c => el('tr', { 'data-cluster': c.name },
    el('td', {}, c.name),
    el('td', { class: c.stale ? 'stale' : 'healthy' }, c.stale ? 'stale' : 'healthy'),
    el('td', { class: 'age', 'data-since': c.lastHeartbeat }, age(c.lastHeartbeat)),
    el('td', {}, c.region || ''),
    el('td', {}, c.agentVersion || ''))));

  const destinations = document.getElementById('destinations');
  destinations.replaceChildren(...snap.destinations.map(d => el('div',
    { class: 'destination', 'data-destination': d.id },
    el('h3', {}, d.id + '  ', el('span', { class: 'badge' }, d.state)),
    el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, 'Client cluster'), el('th', {}, 'Active'),
        el('th', {}, 'Split'), el('th', {}, 'Tiers'))),
      el('tbody', {}, ...d.clients.map(c => el('tr', { 'data-client': c.clientCluster },
        el('td', {}, c.clientCluster),
        el('td', { class: 'active-tier' }, tierLabel(c.activeTier)),
        el('td', {}, ...c.tierLoadPercent.map((p, i) =>
          el('span', { class: 'tier' + (i === c.activeTier ? ' active' : '') }, p + '%'))),
        el('td', {}, c.tiers.map(t => t.index + ': ' + t.members.join(', ')).join(' | ')))))))));

  const decisions = document.querySelector('#decisions tbody');
  decisions.replaceChildren(...snap.decisions.map(d => el('tr',
    { 'data-epoch': d.epoch, 'data-client': d.clientCluster },
    el('td', {}, d.time.replace('T', ' ').replace('Z', '')),
    el('td', {}, d.destination || ''),
    el('td', {}, d.clientCluster),
    el('td', {}, (d.before ? tierLabel(d.before.activeTier) + ' → ' : '') + tierLabel(d.after.activeTier)),
    el('td', { class: 'reason' }, d.reasonCode + ': ' + d.reason))));
}

// Heartbeat ages tick between snapshots (a snapshot is sent only when something changed).
setInterval(() => {
  for (const td of document.querySelectorAll('td.age')) td.textContent = age(td.dataset.since);
}, 1000);

document.getElementById('token-form').addEventListener('submit', ev => {
  ev.preventDefault();
  state.token = document.getElementById('token').value.trim();
  sessionStorage.setItem('meshfed-token', state.token);
  document.getElementById('token-form').hidden = true;
  connect();
});

document.getElementById('whatif-form').addEventListener('submit', async ev => {
  ev.preventDefault();
  const out = document.getElementById('whatif-result');
  out.textContent = 'replaying...';
  const q = new URLSearchParams({ from: document.getElementById('whatif-from').value,
    to: document.getElementById('whatif-to').value,
    flapWindow: document.getElementById('whatif-window').value });
  try {
    const response = await fetch('/v1/whatif?' + q, { method: 'POST',
      headers: headers({ 'Content-Type': 'application/yaml', Accept: 'text/plain' }),
      body: document.getElementById('whatif-policy').value });
    const text = await response.text();
    out.textContent = response.ok ? text : 'failed (' + response.status + '): ' + text;
  } catch (e) {
    out.textContent = 'failed: ' + e.message;
  }
});

state.token = tokenFromPage();
connect();
