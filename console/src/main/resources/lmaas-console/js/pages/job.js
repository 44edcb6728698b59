// Job page (#/jobs/<id>): status and reason, progress, loss curve from metrics events, the event log,
// and cancel. Refreshes every 2 s until the job is finished.

import { h, fill, fmtTime, fmtNum, loading, errorBox, notFound, badge, announce } from '../dom.js';
import { api } from '../api.js';
import { lineChart } from '../chart.js';
import { Page } from '../page.js';
import { FINISHED, statusTone, jobProgress } from './jobs.js';

function lossSeries(events) {
  const points = events.filter((e) => e.type === 'metrics' && e.data && e.data.step != null)
    .map((e) => e.data).sort((a, b) => a.step - b.step);
  const x = points.map((d) => Number(d.step));
  const series = [{ label: 'train_loss', values: points.map((d) => (d.train_loss == null ? null : Number(d.train_loss))) }];
  if (points.some((d) => d.valid_loss != null)) {
    series.push({ label: 'valid_loss', values: points.map((d) => (d.valid_loss == null ? null : Number(d.valid_loss))) });
  }
  return { x, series };
}

function eventText(e) {
  if (e.message) return e.message;
  if (e.type === 'metrics' && e.data) return Object.entries(e.data).map(([k, v]) => `${k}=${v}`).join(' ');
  return '';
}

customElements.define('lm-job', class extends Page {
  get jid() { return this.params.id; }

  async render() {
    fill(this, loading());
    const job = await this.fetchJob(true);
    if (!job || !this.alive) return;
    this.statusEl = h('span', { id: 'job-status' });
    this.reasonEl = h('p', { id: 'job-reason', class: 'reason' });
    this.progressEl = h('progress', { id: 'job-progress', 'aria-labelledby': 'job-progress-label' });
    this.progressLabel = h('span', { id: 'job-progress-label' });
    this.details = h('dl', { class: 'details' });
    this.cancel = h('button', { id: 'cancel-job', type: 'button', class: 'danger', onclick: () => this.cancelJob() }, 'Cancel job');
    // A scrolling list: focusable so it can be scrolled from the keyboard.
    this.events = h('ol', { id: 'job-events', class: 'events', tabindex: '0', 'aria-label': 'Job events, newest first' });
    this.refreshError = h('div');
    this.chartBox = h('div', { 'data-chart': 'loss' });
    this.chartNote = h('p', { class: 'muted' });
    const isBatch = job.kind === 'batch';
    fill(this,
      h('p', { class: 'crumbs' }, h('a', { href: '#/jobs' }, 'Jobs'), ' / ', job.id),
      h('div', { class: 'page-head' }, h('h1', {}, `${isBatch ? 'Batch' : 'Fine-tuning job'} ${job.id}`), this.cancel),
      this.refreshError,
      h('section', { class: 'card job-summary' },
        h('p', { class: 'job-status-line' }, 'Status: ', this.statusEl), this.reasonEl,
        h('div', { class: 'progress-line' }, this.progressEl, ' ', this.progressLabel),
        this.details),
      isBatch ? null : h('section', {}, h('h2', {}, 'Loss'), h('figure', { class: 'chart-box' }, this.chartBox), this.chartNote),
      h('section', {}, h('h2', {}, 'Events'), h('p', { class: 'muted' }, 'Newest first.'), this.events));
    if (!isBatch) this.chart = this.keepChart(lineChart(this.chartBox, { title: 'Training loss', xLabel: 'step', x: [], series: [{ label: 'train_loss', values: [] }] }));
    this.show(job);
    await this.loadEvents();
    if (!FINISHED.has(job.status)) this.poll(() => this.tick(), 2000);
  }

  async fetchJob(first) {
    try {
      return await api(`/jobs/${encodeURIComponent(this.jid)}`);
    } catch (err) {
      if (!this.alive) return null;
      if (first) {
        fill(this, err.status === 404 || err.status === 403
          ? notFound(`No job ${this.jid}, or you cannot see it.`) : errorBox(err, 'Could not load the job'));
      } else {
        this.gone = err.status === 404 || err.status === 403; // deleted or no longer visible: stop refreshing
        this.refreshError.replaceChildren(errorBox(err, 'Could not refresh the job'));
      }
      return null;
    }
  }

  async tick() {
    const job = await this.fetchJob(false);
    if (!this.alive || this.gone) return false;
    if (!job) return true;
    this.refreshError.replaceChildren();
    this.show(job);
    await this.loadEvents();
    return !FINISHED.has(job.status);
  }

  show(j) {
    const finished = FINISHED.has(j.status);
    fill(this.statusEl, badge(j.status, statusTone(j.status)));
    this.reasonEl.textContent = j.error && (j.error.message || j.error.code)
      ? `${j.error.message || 'The job failed.'}${j.error.code ? ` (code: ${j.error.code})` : ''}`
      : (j.status_reason || '');
    const p = jobProgress(j);
    this.progressEl.max = p.max;
    if (p.value == null) this.progressEl.removeAttribute('value');
    else this.progressEl.value = p.value;
    this.progressLabel.textContent = p.label;
    this.cancel.disabled = finished || j.status === 'cancelling';
    const rows = [
      ['Kind', j.kind === 'batch' ? 'batch' : 'fine-tuning'],
      ['Tenant', j.tenant_id ? h('a', { href: `#/tenants/${encodeURIComponent(j.tenant_id)}` }, j.tenant_id) : '—'],
      ['Model', j.model || '—'],
      j.fine_tuned_model ? ['Fine-tuned model', h('code', {}, j.fine_tuned_model)] : null,
      j.endpoint ? ['Endpoint', j.endpoint] : null,
      j.request_counts ? ['Requests', `${fmtNum(j.request_counts.completed)} completed, ${fmtNum(j.request_counts.failed)} failed, ${fmtNum(j.request_counts.total)} total`] : null,
      j.lines_per_second != null ? ['Pace', `${fmtNum(j.lines_per_second)} lines/s`] : null,
      j.trained_tokens != null ? ['Trained tokens', fmtNum(j.trained_tokens)] : null,
      ['Created', fmtTime(j.created_at)],
      finished ? ['Finished', fmtTime(j.finished_at)] : ['Estimated finish', fmtTime(j.estimated_finish)],
    ].filter(Boolean);
    fill(this.details, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    if (this.lastStatus && this.lastStatus !== j.status) announce(`Job ${j.id} is now ${j.status.replace(/_/g, ' ')}.`);
    this.lastStatus = j.status;
  }

  async loadEvents() {
    let events;
    try {
      events = (await api(`/jobs/${encodeURIComponent(this.jid)}/events`, { query: { limit: 200 } })).data || [];
    } catch (err) {
      if (this.alive) fill(this.events, h('li', {}, errorBox(err, 'Could not load the events')));
      return;
    }
    if (!this.alive) return;
    events = [...events].sort((a, b) => (b.created_at - a.created_at) || 0);
    fill(this.events, events.length ? events.map((e) => h('li', { class: `event level-${e.level || 'info'}` },
      h('time', {}, fmtTime(e.created_at)), ' ', badge(e.level || 'info', e.level === 'error' ? 'bad' : e.level === 'warn' || e.level === 'warning' ? 'warn' : 'neutral'),
      ' ', h('span', { class: 'event-message' }, eventText(e))))
      : h('li', { 'data-state': 'empty', class: 'state' }, 'No events yet.'));
    if (this.chart) {
      const { x, series } = lossSeries(events);
      this.chart.setData(x, series);
      this.chartNote.textContent = x.length ? '' : 'No training metrics yet.';
    }
  }

  async cancelJob() {
    this.cancel.disabled = true;
    try {
      const j = await api(`/jobs/${encodeURIComponent(this.jid)}/cancel`, { method: 'POST' });
      announce(`Cancelling job ${this.jid}.`);
      if (j && j.status) this.show(j);
      await this.tick();
      if (this.timer == null && j && !FINISHED.has(j.status)) this.poll(() => this.tick(), 2000);
    } catch (err) {
      this.cancel.disabled = false;
      this.refreshError.replaceChildren(errorBox(err, 'Could not cancel the job'));
    }
  }
});
