// Deployments page (#/deployments): live replica status (refreshed every 2 s while shown) and, for
// platform admins, create / scale / delete. Rows are updated in place so typing in a field is not lost.

import { h, fill, loading, errorBox, table, emptyRow, field, submitting, announce, badge } from '../dom.js';
import { api, listAll, ApiError } from '../api.js';
import { session } from '../auth.js';
import { Page } from '../page.js';

const STATE_TONE = { ready: 'good', starting: 'warn', failed: 'bad', stopping: 'warn', stopped: 'neutral' };

function conditions(d) {
  const list = d.conditions || [];
  if (!list.length) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'badges' }, list.map((c) => badge(`${c.type}${c.status === 'True' ? '' : ': no'}`,
    c.status === 'True' ? 'good' : 'warn', [c.reason, c.message].filter(Boolean).join(': ') || null)));
}

function replicas(d) {
  const eps = d.endpoints || [];
  if (!eps.length) return h('span', { class: 'muted' }, 'no replicas');
  return h('ul', { class: 'replicas' }, eps.map((e) => h('li', {},
    `#${e.replica} `, badge(e.state || 'unknown', STATE_TONE[e.state] || 'neutral'),
    e.restarts ? ` ${e.restarts} restart${e.restarts === 1 ? '' : 's'}` : '',
    e.message ? h('span', { class: 'muted' }, ` ${e.message}`) : '')));
}

customElements.define('lm-deployments', class extends Page {
  render() {
    this.admin = Boolean(session.me?.platform_admin);
    this.list = h('div', {}, loading());
    this.pollError = h('div');
    fill(this, h('div', { class: 'page-head' }, h('h1', {}, 'Deployments'), h('span', { class: 'muted live' }, 'Live: refreshes every 2 s')),
      this.admin ? this.createForm() : null,
      h('section', {}, h('h2', {}, 'Running deployments'), this.pollError, this.list));
    this.refresh().then(() => this.poll(() => this.refresh(), 2000));
  }

  async refresh() {
    let data;
    try {
      data = await listAll('/deployments');
    } catch (err) {
      if (!this.alive) return;
      if (!this.tbody) fill(this.list, errorBox(err, 'Could not load the deployments'));
      else this.pollError.replaceChildren(errorBox(err, 'Could not refresh the deployments'));
      return;
    }
    if (!this.alive) return;
    this.pollError.replaceChildren();
    if (!this.tbody) {
      const cols = ['Model', 'Version', 'Ready', 'Conditions', 'Replicas'];
      const t = table('deployments-table', 'Deployments', this.admin ? [...cols, 'Actions'] : cols);
      this.tbody = t.tbody;
      this.actionError = h('div');
      fill(this.list, this.actionError, t.wrap);
    }
    this.update(data);
  }

  /** Keyed in-place update of the table rows. */
  update(data) {
    const seen = new Set();
    this.tbody.querySelector('.empty-row')?.remove();
    data.forEach((d, i) => {
      seen.add(d.id);
      let tr = [...this.tbody.children].find((r) => r.dataset.deploymentId === d.id);
      if (!tr) {
        tr = h('tr', { 'data-deployment-id': d.id }, h('td'), h('td'), h('td'), h('td'), h('td'), this.admin ? this.actions(d) : null);
      }
      if (this.tbody.children[i] !== tr) this.tbody.insertBefore(tr, this.tbody.children[i] || null);
      const [model, version, ready, conds, reps] = tr.children;
      fill(model, h('code', {}, d.model));
      version.textContent = d.version;
      fill(ready, `${d.ready_replicas ?? 0}/${d.replicas ?? 0}`);
      fill(conds, conditions(d));
      fill(reps, replicas(d));
      const input = tr.querySelector('input[name=replicas]');
      if (input && document.activeElement !== input && !input.dataset.dirty) input.value = String(d.replicas ?? 0);
    });
    [...this.tbody.children].forEach((r) => { if (!seen.has(r.dataset.deploymentId)) r.remove(); });
    if (!data.length) this.tbody.append(emptyRow(this.admin ? 6 : 5, 'No deployments yet.'));
  }

  actions(d) {
    const input = h('input', { type: 'number', name: 'replicas', min: 0, max: 64, step: 1, value: String(d.replicas ?? 0), class: 'narrow',
      id: `replicas-${d.id}`, oninput: (ev) => { ev.currentTarget.dataset.dirty = '1'; } });
    const scale = h('button', { type: 'button', class: 'secondary', 'data-action': 'scale', onclick: () => this.act(scale, d, 'scale', input) }, 'Scale');
    const del = h('button', { type: 'button', class: 'danger', 'data-action': 'delete', 'aria-label': `Delete ${d.model} ${d.version}`,
      onclick: () => this.act(del, d, 'delete') }, 'Delete');
    return h('td', { class: 'actions' },
      h('label', { for: input.id, class: 'visually-hidden' }, `Replicas for ${d.model} ${d.version}`), input, scale, del);
  }

  async act(button, d, action, input) {
    if (action === 'delete' && !confirm(`Delete the deployment of ${d.model} version ${d.version}? Its replicas stop.`)) return;
    button.disabled = true;
    this.actionError.replaceChildren();
    try {
      const path = `/deployments/${encodeURIComponent(d.id)}`;
      if (action === 'delete') {
        await api(path, { method: 'DELETE' });
        announce(`Deployment of ${d.model} ${d.version} deleted.`);
      } else {
        const n = Number(input.value);
        if (input.value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 64) {
          throw new ApiError('Replicas must be a whole number from 0 to 64.', 400, 'invalid_value');
        }
        if (n === 0 && !confirm(`Scale ${d.model} ${d.version} to 0 replicas? It stops serving.`)) {
          button.disabled = false;
          return;
        }
        await api(path, { method: 'PATCH', body: { replicas: n } });
        delete input.dataset.dirty;
        announce(`${d.model} ${d.version} scaled to ${n} replica${n === 1 ? '' : 's'}.`);
      }
      await this.refresh();
    } catch (err) {
      this.actionError.replaceChildren(errorBox(err, `Could not ${action} the deployment`));
    } finally {
      button.disabled = false;
    }
  }

  createForm() {
    const model = h('select', { name: 'model', required: true });
    const versions = h('datalist', { id: 'deploy-versions' });
    const version = h('input', { name: 'version', required: true, autocomplete: 'off', list: 'deploy-versions' });
    const count = h('input', { name: 'replicas', type: 'number', min: 0, max: 64, step: 1, value: '1', required: true });
    const slot = h('div', { class: 'form-error' });
    let models = [];
    const syncVersions = () => {
      const vs = models.find((m) => m.id === model.value)?.versions || [];
      fill(versions, vs.map((v) => h('option', { value: v })));
      if (!version.value || !vs.includes(version.value)) version.value = vs.length ? vs[vs.length - 1] : '';
    };
    model.addEventListener('change', syncVersions);
    listAll('/models').then((list) => {
      models = list;
      fill(model, models.map((m) => h('option', { value: m.id }, m.id)));
      if (!models.length) slot.replaceChildren(h('p', { 'data-state': 'empty', class: 'state' }, 'No models yet: register one on the Models page.'));
      syncVersions();
    }, (err) => slot.replaceChildren(errorBox(err, 'Could not load the models')));
    const form = h('form', { id: 'create-deployment', class: 'card grid-form' },
      h('h2', {}, 'Deploy a model'), field('Model', model), field('Version', version), versions, field('Replicas', count),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Deploy')), slot);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitting(form, slot, async () => {
        await api('/deployments', { method: 'POST', body: { model: model.value, version: version.value.trim(), replicas: Number(count.value) } });
        announce(`Deploying ${model.value} ${version.value.trim()}.`);
        await this.refresh();
      });
    });
    return form;
  }
});
