// Overview page (#/overview): traffic totals, hourly charts and the busiest tenants and models.

import { h, fill, fmtNum, loading, errorBox, table, emptyRow, field } from '../dom.js';
import { api } from '../api.js';
import { timeChart } from '../chart.js';
import { Page } from '../page.js';

const WINDOWS = [[24, 'Last 24 hours'], [168, 'Last 7 days'], [720, 'Last 30 days']];

function tile(stat, label, value) {
  return h('div', { class: 'tile', 'data-stat': stat }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
}

customElements.define('lm-overview', class extends Page {
  render() {
    const select = h('select', { id: 'overview-hours' },
      WINDOWS.map(([v, label]) => h('option', { value: String(v) }, label)));
    const stored = sessionStorage.getItem('lmaas.overview.hours');
    if (stored && WINDOWS.some(([v]) => String(v) === stored)) select.value = stored;
    select.addEventListener('change', () => {
      sessionStorage.setItem('lmaas.overview.hours', select.value);
      this.load();
    });
    this.select = select;
    this.body = h('div', { class: 'overview-body' });
    fill(this, h('div', { class: 'page-head' }, h('h1', {}, 'Overview'), field('Window', select)), this.body);
    this.load();
  }

  async load() {
    const hours = Number(this.select.value);
    const seq = this.nextLoad();
    this.dropCharts();
    fill(this.body, loading());
    let o;
    try {
      o = await api('/overview', { query: { hours } });
    } catch (err) {
      if (this.alive && seq === this.loadSeq) fill(this.body, errorBox(err, 'Could not load the overview'));
      return;
    }
    if (!this.alive || Number(this.select.value) !== hours || seq !== this.loadSeq) return;
    const t = o.totals || {};
    const latency = t.latency_ms_avg == null ? '—' : `${Number(t.latency_ms_avg).toFixed(1)} ms`;
    const tokens = (Number(t.prompt_tokens) || 0) + (Number(t.completion_tokens) || 0);
    const series = o.series || [];
    const x = series.map((p) => p.t);
    const col = (k) => series.map((p) => (p[k] == null ? null : Number(p[k])));
    const charts = {
      requests: { title: 'Requests per hour', series: [{ label: 'Requests', values: col('requests') }] },
      tokens: { title: 'Tokens per hour', series: [
        { label: 'Prompt tokens', values: col('prompt_tokens') },
        { label: 'Completion tokens', values: col('completion_tokens') }] },
      errors: { title: 'Errors per hour', series: [{ label: 'Errors', values: col('errors'), color: '#dc2626' }] },
      latency: { title: 'Latency (ms)', series: [
        { label: 'Average', values: col('latency_ms_avg') },
        { label: 'Max', values: col('latency_ms_max') }] },
    };
    const boxes = Object.keys(charts).map((k) => h('figure', { class: 'chart-box' }, h('div', { 'data-chart': k })));

    const tenants = table('top-tenants', 'Top tenants', ['Tenant', { label: 'Requests', num: true }, { label: 'Tokens', num: true }]);
    (o.top_tenants || []).forEach((r) => tenants.tbody.append(h('tr', {},
      h('td', {}, h('a', { href: `#/tenants/${encodeURIComponent(r.tenant_id)}` }, r.name || r.tenant_id)),
      h('td', { class: 'num' }, fmtNum(r.requests)), h('td', { class: 'num' }, fmtNum(r.total_tokens)))));
    if (!tenants.tbody.children.length) tenants.tbody.append(emptyRow(3, 'No traffic in this window.'));

    const models = table('top-models', 'Top models', ['Model', { label: 'Requests', num: true }, { label: 'Tokens', num: true }]);
    (o.top_models || []).forEach((r) => models.tbody.append(h('tr', {},
      h('td', {}, r.model), h('td', { class: 'num' }, fmtNum(r.requests)), h('td', { class: 'num' }, fmtNum(r.total_tokens)))));
    if (!models.tbody.children.length) models.tbody.append(emptyRow(3, 'No traffic in this window.'));

    fill(this.body,
      h('div', { class: 'tiles' },
        tile('requests', 'Requests', String(Number(t.requests) || 0)),
        tile('tokens', 'Tokens', String(tokens)),
        tile('errors', 'Errors', String(Number(t.errors) || 0)),
        tile('latency', 'Average latency', latency)),
      h('div', { class: 'charts' }, boxes),
      h('div', { class: 'two-col' },
        h('section', {}, h('h2', {}, 'Top tenants'), tenants.wrap),
        h('section', {}, h('h2', {}, 'Top models'), models.wrap)));
    Object.entries(charts).forEach(([k, c], i) => {
      this.keepChart(timeChart(boxes[i].firstChild, { title: c.title, x, series: c.series }));
    });
  }
});
