// DOM helpers: h() builds elements (text only, never innerHTML), formatting, shared page states, status announcements.

/** h('a', {href: '#/x', class: 'btn', onclick: fn}, 'text', child, [more]) → element. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'hidden' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces the children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const pad = (n) => String(n).padStart(2, '0');

/** Unix seconds → local "YYYY-MM-DD HH:MM" ('—' when missing). */
export function fmtTime(sec) {
  if (sec == null || sec === '') return '—';
  const d = new Date(Number(sec) * 1000);
  if (Number.isNaN(d.getTime())) return String(sec);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Number with thousands separators ('—' when missing). */
export function fmtNum(n) {
  if (n == null || n === '') return '—';
  const x = Number(n);
  return Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(n);
}

/** Shared page states: loading, empty, error, not-found. */
export function loading(text = 'Loading…') {
  return h('p', { 'data-state': 'loading', class: 'state' }, text);
}

export function empty(text) {
  return h('p', { 'data-state': 'empty', class: 'state' }, text);
}

export function notFound(text) {
  return h('div', { 'data-state': 'not-found', class: 'state state-error', role: 'alert' },
    h('p', {}, text), h('p', {}, h('a', { href: '#/overview' }, 'Back to the overview')));
}

/** Error box for a failed call: the message plus the API's error code (or HTTP status). */
export function errorBox(err, prefix) {
  const code = err && err.code ? err.code : (err && err.status ? `HTTP ${err.status}` : null);
  const message = (err && err.message) || 'Something went wrong.';
  return h('div', { 'data-state': 'error', class: 'state state-error', role: 'alert' },
    h('p', { class: 'error-message' }, prefix ? `${prefix}: ${message}` : message),
    code ? h('p', { class: 'error-code' }, 'Error code: ', h('code', {}, code)) : null);
}

/** A table inside a horizontally scrolling wrapper. columns: header labels. */
export function table(id, caption, columns, opts = {}) {
  const tbody = h('tbody');
  const tfoot = opts.footer ? h('tfoot') : null;
  const t = h('table', { id, class: 'data' },
    caption ? h('caption', { class: opts.captionVisible ? null : 'visually-hidden' }, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label ?? c)))),
    tbody, tfoot);
  // The wrapper scrolls on narrow windows: it takes focus so keyboard users can scroll it too.
  const wrap = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption || id }, t);
  return { wrap, table: t, tbody, tfoot };
}

/** A tbody row that says the table is empty. */
export function emptyRow(colspan, text) {
  return h('tr', { class: 'empty-row' }, h('td', { colspan, 'data-state': 'empty' }, text));
}

/** Puts a message in the polite status region (cleared first so repeats are announced). */
export function announce(text) {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = '';
  requestAnimationFrame(() => { el.textContent = text; });
}

/** Label + control pair. */
export function field(label, control, hint) {
  const id = control.id || (control.id = `f-${Math.random().toString(36).slice(2, 9)}`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control,
    hint ? h('small', { class: 'hint' }, hint) : null);
}

/** Runs fn while the form's submit buttons are disabled; shows a failure in the form's error slot. */
export async function submitting(form, slot, fn) {
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((b) => { b.disabled = true; });
  slot.replaceChildren();
  try {
    await fn();
  } catch (err) {
    slot.replaceChildren(errorBox(err));
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/** Status badge. */
export function badge(text, tone = 'neutral', title) {
  return h('span', { class: `badge badge-${tone}`, title }, text);
}
