// Audit page (#/audit): who changed what, newest first, optionally for one tenant; older entries on demand.

import { h, fill, fmtTime, loading, errorBox, table, emptyRow, field } from '../dom.js';
import { api, listAll } from '../api.js';
import { Page } from '../page.js';

const PAGE = 50;

function json(v) {
  if (v == null) return '—';
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v, null, 2);
}

function row(e) {
  const changes = e.before == null && e.after == null ? h('span', { class: 'muted' }, '—')
    : h('details', {}, h('summary', {}, 'Before / after'),
      h('div', { class: 'diff' },
        h('div', {}, h('strong', {}, 'Before'), h('pre', {}, json(e.before))),
        h('div', {}, h('strong', {}, 'After'), h('pre', {}, json(e.after)))));
  return h('tr', { 'data-audit-id': e.id },
    h('td', { class: 'nowrap' }, fmtTime(e.at)),
    h('td', {}, e.actor || '—'),
    h('td', {}, h('code', {}, e.action || '—')),
    h('td', {}, [e.target_type, e.target_id].filter(Boolean).join(' ') || '—'),
    h('td', {}, e.tenant_id ? h('a', { href: `#/tenants/${encodeURIComponent(e.tenant_id)}` }, e.tenant_id) : '—'),
    h('td', {}, changes));
}

customElements.define('lm-audit', class extends Page {
  render() {
    this.tenant = h('select', { id: 'audit-tenant' }, h('option', { value: '' }, 'All tenants'));
    const want = this.params.query.get('tenant');
    if (want) {
      this.tenant.append(h('option', { value: want }, want));
      this.tenant.value = want;
    }
    this.tenant.addEventListener('change', () => this.load());
    this.list = h('div');
    fill(this, h('div', { class: 'page-head' }, h('h1', {}, 'Audit log'), h('div', { class: 'toolbar' }, field('Tenant', this.tenant))), this.list);
    listAll('/tenants').then((tenants) => {
      if (!this.alive) return;
      const current = this.tenant.value;
      fill(this.tenant, h('option', { value: '' }, 'All tenants'), tenants.map((t) => h('option', { value: t.id }, `${t.name} (${t.id})`)));
      if (current && !tenants.some((t) => t.id === current)) this.tenant.append(h('option', { value: current }, current));
      this.tenant.value = current;
    }, () => {}); // the filter stays usable with "All tenants"; the table shows any real failure
    this.load();
  }

  async load() {
    fill(this.list, loading());
    const t = table('audit-table', 'Audit log', ['Time', 'Actor', 'Action', 'Target', 'Tenant', 'Changes']);
    this.tbody = t.tbody;
    this.cursor = null;
    this.pageError = h('div');
    this.more = h('button', { id: 'audit-more', type: 'button', class: 'secondary', hidden: true, onclick: () => this.page() }, 'Older entries');
    if (await this.page(true)) fill(this.list, t.wrap, this.pageError, this.more);
  }

  async page(first = false) {
    const tenant = this.tenant.value;
    const seq = first ? this.nextLoad() : this.loadSeq;
    this.more.disabled = true;
    try {
      const res = await api('/audit', { query: { tenant_id: tenant, before: this.cursor, limit: PAGE } });
      if (!this.alive || tenant !== this.tenant.value || seq !== this.loadSeq) return false;
      (res.data || []).forEach((e) => this.tbody.append(row(e)));
      if (first && !res.data?.length) this.tbody.append(emptyRow(6, 'No audit entries yet.'));
      this.cursor = res.last_id;
      this.more.hidden = !res.has_more;
      this.pageError.replaceChildren();
      return true;
    } catch (err) {
      if (first) fill(this.list, errorBox(err, 'Could not load the audit log'));
      else this.pageError.replaceChildren(errorBox(err, 'Could not load older entries'));
      return false;
    } finally {
      this.more.disabled = false;
    }
  }
});
