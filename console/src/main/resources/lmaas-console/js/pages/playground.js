// Playground (#/playground): classify a text through the tenant API with a tenant's key, and see why: each token
// highlighted by its attribution to the predicted label (integrated gradients; green for, red against), with the
// numbers in a table too (colour is not the only cue). The key stays in this page's memory.

import { h, fill, fmtNum, loading, errorBox, field, submitting, table } from '../dom.js';
import { ApiError, listAll } from '../api.js';
import { Page } from '../page.js';

/** A token's background: its attribution's sign picks the hue, its share of the largest magnitude the strength. */
function shade(a, max) {
  const strength = max > 0 ? Math.min(1, Math.abs(a) / max) : 0;
  const alpha = (0.15 + 0.55 * strength).toFixed(2);
  return a >= 0 ? `rgba(34, 139, 34, ${alpha})` : `rgba(200, 30, 30, ${alpha})`;
}

function explanationView(e) {
  const max = Math.max(0, ...e.attributions.map((a) => Math.abs(a)));
  const tokens = h('p', { class: 'attributions', id: 'playground-tokens' }, e.tokens.map((t, i) => h('span', {
    class: 'token', style: `background:${shade(e.attributions[i], max)}`, title: `${t}: ${e.attributions[i].toFixed(4)}`,
    'data-attribution': e.attributions[i],
  }, t)));
  const t = table('playground-attributions', 'Attribution of each token to the label', ['Token', 'Attribution']);
  e.tokens.forEach((tok, i) => t.tbody.append(h('tr', {}, h('td', {}, h('code', {}, tok)),
    h('td', { class: 'num' }, e.attributions[i].toFixed(4)))));
  return h('section', { 'aria-label': 'Explanation' },
    h('h2', {}, `Why “${e.label}”`),
    h('p', { class: 'muted' }, `Integrated gradients, ${e.steps} steps; the attributions add up to the score's change from an`
      + ` empty input within ${Math.abs(e.convergence_gap).toExponential(1)} (the convergence gap)`
      + (Math.abs(e.convergence_gap) > 0.05 ? ': large — more steps would make the attributions more faithful.' : '.')),
    tokens, h('details', {}, h('summary', {}, 'The numbers'), t.wrap));
}

customElements.define('lm-playground', class extends Page {
  render() {
    this.key = h('input', { id: 'playground-key', type: 'password', autocomplete: 'off', required: true });
    this.model = h('input', { id: 'playground-model', required: true, list: 'playground-models', autocomplete: 'off' });
    this.models = h('datalist', { id: 'playground-models' });
    this.text = h('textarea', { id: 'playground-text', rows: 4, required: true, maxlength: 20000 });
    this.explain = h('input', { id: 'playground-explain', type: 'checkbox', checked: true });
    this.steps = h('input', { id: 'playground-steps', type: 'number', min: 1, max: 256, value: 32, required: true });
    this.errorSlot = h('div');
    this.result = h('div', { id: 'playground-result', 'aria-live': 'polite' });
    const form = h('form', { id: 'playground-form', onsubmit: (ev) => { ev.preventDefault(); submitting(form, this.errorSlot, () => this.run()); } },
      field('API key of a tenant', this.key, 'Requests go through /v1/classifications as that tenant: metered and within its quota.'),
      field('Classification model', this.model), this.models,
      field('Text', this.text),
      h('div', { class: 'toolbar' }, field('Explain the label', this.explain), field('Steps', this.steps)),
      h('button', { type: 'submit', id: 'playground-run' }, 'Classify'), this.errorSlot);
    fill(this, h('div', { class: 'page-head' }, h('h1', {}, 'Playground')), form, this.result);
    listAll('/models').then((models) => {
      if (!this.alive) return;
      fill(this.models, models.filter((m) => m.task === 'text-classification').map((m) => h('option', { value: m.id })));
    }, () => {}); // typing a model id still works
  }

  async run() {
    fill(this.result, loading('Classifying…'));
    const body = { model: this.model.value.trim(), input: this.text.value };
    if (this.explain.checked) Object.assign(body, { explain: true, steps: Number(this.steps.value) });
    const res = await fetch('/v1/classifications', {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.key.value.trim()}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    if (!this.alive) return;
    if (!res.ok) {
      this.result.replaceChildren();
      const e = json.error || {};
      throw new ApiError(e.message || `HTTP ${res.status}`, res.status, e.code, e.param);
    }
    const item = json.data[0];
    const scores = table('playground-scores', 'Score of each label', ['Label', 'Score']);
    Object.entries(item.scores || {}).sort((a, b) => b[1] - a[1]).forEach(([label, score]) => scores.tbody.append(
      h('tr', {}, h('td', {}, label), h('td', { class: 'num' }, score.toFixed(4)))));
    fill(this.result,
      h('p', { id: 'playground-label' }, 'Label: ', h('strong', {}, item.label), ` (score ${item.score.toFixed(4)}; `
        + `${fmtNum(json.usage.prompt_tokens)} tokens metered)`),
      item.explanation ? explanationView(item.explanation) : null,
      h('details', {}, h('summary', {}, 'All labels'), scores.wrap));
  }
});
