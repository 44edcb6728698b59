// Usage page (#/usage?tenant=<id>): one tenant's usage grouped by day, model or key over a date range,
// with totals and a CSV export (fetched with the bearer token, saved through a temporary link).

import { h, fill, fmtNum, loading, errorBox, empty, table, emptyRow, field, announce } from '../dom.js';
import { api, listAll } from '../api.js';
import { Page } from '../page.js';

const GROUPS = [['day', 'Day'], ['model', 'Model'], ['key', 'API key']];
const NUMS = [['requests', 'Requests'], ['errors', 'Errors'], ['prompt_tokens', 'Prompt tokens'],
  ['completion_tokens', 'Completion tokens'], ['total_tokens', 'Total tokens'], ['compute_seconds', 'Worker-seconds']];
const DAY = 86400;

/** Dates are UTC days, like the server's daily roll-ups. */
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const dayStart = (iso) => Date.parse(`${iso}T00:00:00Z`) / 1000;

customElements.define('lm-usage', class extends Page {
  async render() {
    this.tenant = h('select', { id: 'usage-tenant' });
    this.group = h('select', { id: 'usage-group' }, GROUPS.map(([v, l]) => h('option', { value: v }, l)));
    const today = isoDay(Date.now());
    this.start = h('input', { type: 'date', id: 'usage-start', value: isoDay(Date.now() - 30 * DAY * 1000), max: today });
    this.end = h('input', { type: 'date', id: 'usage-end', value: today, max: today });
    this.csv = h('button', { id: 'usage-csv', type: 'button', class: 'secondary', onclick: () => this.exportCsv() }, 'Export CSV');
    this.body = h('div', {}, loading());
    this.csvError = h('div');
    const want = this.params.query.get('group');
    if (GROUPS.some(([v]) => v === want)) this.group.value = want;
    [this.tenant, this.group, this.start, this.end].forEach((el) => el.addEventListener('change', () => this.load()));
    fill(this, h('div', { class: 'page-head' }, h('h1', {}, 'Usage')),
      h('form', { class: 'toolbar', onsubmit: (ev) => ev.preventDefault() },
        field('Tenant', this.tenant), field('Group by', this.group), field('From', this.start), field('To', this.end), this.csv),
      this.csvError, this.body);
    let tenants;
    try {
      tenants = await listAll('/tenants');
    } catch (err) {
      if (this.alive) fill(this.body, errorBox(err, 'Could not load the tenants'));
      return;
    }
    if (!this.alive) return;
    if (!tenants.length) {
      this.tenant.disabled = true;
      this.csv.disabled = true;
      fill(this.body, empty('No tenants yet: create one on the Tenants page.'));
      return;
    }
    fill(this.tenant, tenants.map((t) => h('option', { value: t.id }, `${t.name} (${t.id})`)));
    const want_t = this.params.query.get('tenant');
    if (want_t && !tenants.some((t) => t.id === want_t)) {
      this.tenant.prepend(h('option', { value: want_t }, want_t));
    }
    this.tenant.value = want_t || tenants[0].id;
    this.load();
  }

  query() {
    let s = this.start.value;
    let e = this.end.value;
    if (s && e && s > e) [s, e] = [e, s];
    return {
      start: s ? dayStart(s) : undefined,
      end: e ? dayStart(e) + DAY : undefined, // the "to" day is included
      group_by: this.group.value,
    };
  }

  async load() {
    const tenant = this.tenant.value;
    if (!tenant) return;
    history.replaceState(null, '', `#/usage?tenant=${encodeURIComponent(tenant)}${this.group.value !== 'day' ? `&group=${this.group.value}` : ''}`);
    const q = this.query();
    const token = (this.seq = (this.seq || 0) + 1);
    fill(this.body, loading());
    let res;
    let keyNames = this.keyNames?.tenant === tenant ? this.keyNames : null;
    try {
      const calls = [api(`/tenants/${encodeURIComponent(tenant)}/usage`, { query: q })];
      if (q.group_by === 'key' && !keyNames) calls.push(api(`/tenants/${encodeURIComponent(tenant)}/keys`, { query: { limit: 1000 } }).catch(() => null));
      const [usage, keys] = await Promise.all(calls);
      res = usage;
      if (keys) keyNames = this.keyNames = { tenant, map: new Map((keys.data || []).map((k) => [k.id, k.name])) };
    } catch (err) {
      if (this.alive && token === this.seq) fill(this.body, err.status === 404 ? empty(`No tenant ${tenant}, or you cannot see it.`) : errorBox(err, 'Could not load the usage'));
      return;
    }
    if (!this.alive || token !== this.seq) return;
    const [, groupLabel] = GROUPS.find(([v]) => v === q.group_by);
    const t = table('usage-table', 'Usage', [groupLabel, ...NUMS.map(([, l]) => ({ label: l, num: true }))], { footer: true });
    const rows = res.data || [];
    rows.forEach((r) => {
      let label = r.day ?? r.model ?? r.key_id ?? '—';
      if (q.group_by === 'key' && r.key_id && keyNames?.map.get(r.key_id)) label = `${keyNames.map.get(r.key_id)} (${r.key_id})`;
      if (q.group_by === 'key' && !r.key_id) label = 'No key';
      t.tbody.append(h('tr', {}, h('th', { scope: 'row' }, String(label)), NUMS.map(([k]) => h('td', { class: 'num' }, fmtNum(r[k] ?? 0)))));
    });
    if (!rows.length) t.tbody.append(emptyRow(NUMS.length + 1, 'No usage in this period.'));
    const tot = res.totals || {};
    t.tfoot.append(h('tr', {}, h('th', { scope: 'row' }, 'Total'), NUMS.map(([k]) => h('td', { class: 'num' }, fmtNum(tot[k] ?? 0)))));
    fill(this.body, t.wrap);
  }

  async exportCsv() {
    const tenant = this.tenant.value;
    if (!tenant) return;
    this.csv.disabled = true;
    this.csvError.replaceChildren();
    try {
      const blob = await api(`/tenants/${encodeURIComponent(tenant)}/usage`, { query: { ...this.query(), format: 'csv' }, blob: true });
      const href = URL.createObjectURL(blob);
      const a = h('a', { href, download: `usage-${tenant}.csv`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
      announce('Usage CSV downloaded.');
    } catch (err) {
      this.csvError.replaceChildren(errorBox(err, 'Could not export the CSV'));
    } finally {
      this.csv.disabled = false;
    }
  }
});
