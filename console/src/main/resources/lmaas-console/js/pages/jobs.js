// Jobs page (#/jobs): fine-tuning jobs and batches across visible tenants, filterable by status, paged.

import { h, fill, fmtTime, loading, errorBox, table, emptyRow, field, badge } from '../dom.js';
import { api } from '../api.js';
import { Page } from '../page.js';

export const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'completed', 'expired']);
const STATUSES = ['validating_files', 'validating', 'queued', 'running', 'in_progress', 'finalizing',
  'succeeded', 'completed', 'failed', 'cancelling', 'cancelled'];
const PAGE = 50;

export function statusTone(s) {
  if (s === 'succeeded' || s === 'completed') return 'good';
  if (s === 'failed' || s === 'expired') return 'bad';
  if (s === 'cancelled' || s === 'cancelling') return 'neutral';
  return 'warn';
}

/** {value, max, label} for a job's progress; finished successful jobs are full. */
export function jobProgress(j) {
  const done = j.status === 'succeeded' || j.status === 'completed';
  if (j.kind === 'batch' || j.request_counts) {
    const c = j.request_counts || {};
    const total = Number(c.total) || 0;
    const n = (Number(c.completed) || 0) + (Number(c.failed) || 0);
    if (!total) return done ? { value: 1, max: 1, label: 'done' } : { value: null, max: 1, label: 'not started' };
    const pace = !done && j.lines_per_second ? `, ${j.lines_per_second} lines/s` : '';
    return { value: done ? total : n, max: total, label: `${done ? total : n} of ${total} requests${pace}` };
  }
  const p = j.progress;
  if (!p || !p.total_steps) return done ? { value: 1, max: 1, label: 'done' } : { value: null, max: 1, label: 'not started' };
  const step = done ? p.total_steps : p.step || 0;
  return { value: step, max: p.total_steps, label: `step ${step} of ${p.total_steps}` };
}

export function progressEl(p, attrs = {}) {
  const el = h('progress', { ...attrs, max: p.max });
  if (p.value != null) el.value = p.value;
  return el;
}

function row(j) {
  const p = jobProgress(j);
  return h('tr', { 'data-job-id': j.id },
    h('td', {}, h('a', { href: `#/jobs/${encodeURIComponent(j.id)}` }, h('code', {}, j.id))),
    h('td', {}, j.kind === 'batch' ? 'batch' : 'fine-tuning'),
    h('td', {}, j.tenant_id ? h('a', { href: `#/tenants/${encodeURIComponent(j.tenant_id)}` }, j.tenant_id) : '—'),
    h('td', {}, j.fine_tuned_model || j.model || '—'),
    h('td', {}, badge(j.status, statusTone(j.status), j.status_reason || null)),
    h('td', { class: 'progress-cell' }, progressEl(p, { 'aria-label': `Progress of ${j.id}` }), h('span', { class: 'muted small' }, p.label)),
    h('td', {}, fmtTime(j.created_at)));
}

customElements.define('lm-jobs', class extends Page {
  render() {
    this.status = h('select', { id: 'jobs-status' }, h('option', { value: '' }, 'All statuses'),
      STATUSES.map((s) => h('option', { value: s }, s.replace(/_/g, ' '))));
    const initial = this.params.query.get('status');
    if (initial && STATUSES.includes(initial)) this.status.value = initial;
    this.status.addEventListener('change', () => this.load());
    this.list = h('div');
    fill(this, h('div', { class: 'page-head' }, h('h1', {}, 'Jobs'),
      h('div', { class: 'toolbar' }, field('Status', this.status),
        h('button', { type: 'button', class: 'secondary', onclick: () => this.load() }, 'Refresh'))),
      this.list);
    this.load();
  }

  async load() {
    fill(this.list, loading());
    const t = table('jobs-table', 'Jobs', ['Job', 'Kind', 'Tenant', 'Model', 'Status', 'Progress', 'Created']);
    this.tbody = t.tbody;
    this.cursor = null;
    this.pageError = h('div');
    this.more = h('button', { id: 'jobs-more', type: 'button', class: 'secondary', hidden: true, onclick: () => this.page() }, 'Load more');
    if (await this.page(true)) fill(this.list, t.wrap, this.pageError, this.more);
  }

  async page(first = false) {
    const status = this.status.value;
    const seq = first ? this.nextLoad() : this.loadSeq;
    this.more.disabled = true;
    try {
      const res = await api('/jobs', { query: { status, after: this.cursor, limit: PAGE } });
      if (!this.alive || status !== this.status.value || seq !== this.loadSeq) return false;
      (res.data || []).forEach((j) => this.tbody.append(row(j)));
      if (first && !res.data?.length) this.tbody.append(emptyRow(7, status ? `No ${status.replace(/_/g, ' ')} jobs.` : 'No jobs yet.'));
      this.cursor = res.last_id;
      this.more.hidden = !res.has_more;
      this.pageError.replaceChildren();
      return true;
    } catch (err) {
      if (first) fill(this.list, errorBox(err, 'Could not load the jobs'));
      else this.pageError.replaceChildren(errorBox(err, 'Could not load more jobs'));
      return false;
    } finally {
      this.more.disabled = false;
    }
  }
});
