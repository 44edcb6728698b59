// Models page (#/models): the model catalogue and, for platform admins, registering models and versions.

import { h, fill, loading, errorBox, table, emptyRow, field, submitting, announce } from '../dom.js';
import { api, listAll, upload, ApiError } from '../api.js';
import { session } from '../auth.js';
import { Page } from '../page.js';

const TASKS = ['text-classification', 'text-generation', 'feature-extraction'];

/** "BertModel · 22.7M parameters · float32 · 512 tokens · 91 MB" from a version's info. */
export function describeVersion(info) {
  if (!info) return '';
  const parts = [];
  if (info.architecture) parts.push(info.architecture);
  if (info.rank) parts.push(`rank ${info.rank}`);
  if (Array.isArray(info.target_modules)) parts.push(info.target_modules.join(', '));
  if (info.parameters) parts.push(`${info.parameters >= 1e6 ? (info.parameters / 1e6).toFixed(1) + 'M' : info.parameters.toLocaleString()} parameters`);
  if (info.dtype) parts.push(info.dtype);
  if (info.max_length) parts.push(`${info.max_length} tokens`);
  if (info.weights_bytes) parts.push(`${Math.round(info.weights_bytes / 1048576)} MB`);
  return parts.join(' · ');
}

/** "held by dep-1 replica 0" / "not loaded on any replica": where an adapter is in memory now. */
export function heldBy(replicas) {
  if (!Array.isArray(replicas) || !replicas.length) return 'not loaded on any replica';
  return `held by ${replicas.map((r) => `${r.deployment_id} replica ${r.replica}`).join(', ')}`;
}

customElements.define('lm-models', class extends Page {
  render() {
    this.list = h('div');
    const admin = session.me?.platform_admin;
    fill(this, h('div', { class: 'page-head' }, h('h1', {}, 'Models')),
      h('section', {}, h('h2', {}, 'Catalogue'), this.list),
      admin ? h('div', { class: 'two-col' }, this.registerForm(), this.versionForm()) : null);
    this.load();
  }

  /** Saves a version as a zip of its directory (a Hugging Face directory comes back as one). */
  async download(model, version) {
    try {
      const blob = await api(`/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}/download`, { blob: true });
      const href = URL.createObjectURL(blob);
      const a = h('a', { href, download: `${model}-${version}.zip`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
      announce(`${model} version ${version} downloaded.`);
    } catch (err) {
      announce(`Could not download ${model} ${version}: ${err.message}`);
    }
  }

  /** Pins an adapter in its base's workers (kept loaded) or unpins it, then reloads the list. */
  async pin(model, pinned) {
    try {
      await api(`/models/${encodeURIComponent(model)}`, { method: 'PATCH', body: { pinned } });
      announce(`${model} ${pinned ? 'pinned' : 'unpinned'}.`);
      this.load();
    } catch (err) {
      announce(`Could not ${pinned ? 'pin' : 'unpin'} ${model}: ${err.message}`);
    }
  }

  async load() {
    if (!this.list.firstChild) fill(this.list, loading());
    let models;
    try {
      models = await listAll('/models');
    } catch (err) {
      if (this.alive) fill(this.list, errorBox(err, 'Could not load the models'));
      return;
    }
    if (!this.alive) return;
    const t = table('models-table', 'Models', ['ID', 'Task', 'Owner', 'Versions', 'Latest version', 'Description']);
    models.forEach((m) => t.tbody.append(h('tr', { 'data-model-id': m.id },
      h('td', {}, h('code', {}, m.id)),
      h('td', {}, m.base_model ? [m.task, h('br'), h('span', { class: 'muted' }, 'LoRA adapter of '),
        h('code', {}, m.base_model), h('br'), h('span', { class: 'muted adapter-held' }, heldBy(m.held_by)),
        m.pinned ? [h('br'), h('strong', {}, 'Pinned')] : '',
        session.me?.platform_admin ? [' ', h('button', { type: 'button', class: 'secondary', 'aria-pressed': String(!!m.pinned),
          'aria-label': `${m.pinned ? 'Unpin' : 'Pin'} ${m.id} in its base's workers`, onclick: () => this.pin(m.id, !m.pinned) },
          m.pinned ? 'Unpin' : 'Pin')] : ''] : m.task),
      h('td', {}, m.owner_tenant_id ? h('a', { href: `#/tenants/${encodeURIComponent(m.owner_tenant_id)}` }, m.owner_tenant_id) : 'Shared'),
      h('td', {}, (m.versions || []).length ? m.versions.join(', ') : h('span', { class: 'muted' }, 'none yet')),
      h('td', { class: 'model-info' }, (m.versions || []).length ? [
        describeVersion((m.version_info || {})[m.versions[m.versions.length - 1]]), ' ',
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Download ${m.id} version ${m.versions[m.versions.length - 1]}`,
          onclick: () => this.download(m.id, m.versions[m.versions.length - 1]) },
          `Download ${m.versions[m.versions.length - 1]}`)] : ''),
      h('td', {}, m.description || ''))));
    if (!models.length) t.tbody.append(emptyRow(6, 'No models yet.'));
    fill(this.list, t.wrap);
    if (this.modelSelect) {
      const current = this.modelSelect.value;
      fill(this.modelSelect, models.map((m) => h('option', { value: m.id }, m.id)));
      if (models.some((m) => m.id === current)) this.modelSelect.value = current;
      this.modelSelect.disabled = !models.length;
    }
  }

  registerForm() {
    const id = h('input', { name: 'id', required: true, autocomplete: 'off', placeholder: 'e.g. sentiment-small' });
    const task = h('select', { name: 'task' }, TASKS.map((t) => h('option', { value: t }, t)));
    const owner = h('input', { name: 'owner_tenant_id', autocomplete: 'off', placeholder: 't-…' });
    const description = h('input', { name: 'description', autocomplete: 'off' });
    const base = h('input', { name: 'base_model', autocomplete: 'off', placeholder: 'e.g. qwen2-0.5b' });
    const slot = h('div', { class: 'form-error' });
    const form = h('form', { id: 'register-model', class: 'card grid-form' },
      h('h2', {}, 'Register a model'),
      field('Model ID', id), field('Task', task),
      field('Owner tenant ID', owner, 'Optional: leave empty for a model every tenant can use.'),
      field('Base model', base, 'Optional: for a LoRA adapter (its versions are PEFT adapters of this text-generation model).'),
      field('Description', description),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Register model')), slot);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitting(form, slot, async () => {
        const body = { id: id.value.trim(), task: task.value };
        if (owner.value.trim()) body.owner_tenant_id = owner.value.trim();
        if (description.value.trim()) body.description = description.value.trim();
        if (base.value.trim()) body.base_model = base.value.trim();
        const m = await api('/models', { method: 'POST', body });
        form.reset();
        announce(`Model ${m.id || body.id} registered.`);
        await this.load();
        if (this.modelSelect) this.modelSelect.value = m.id || body.id;
      });
    });
    return form;
  }

  versionForm() {
    this.modelSelect = h('select', { name: 'model', required: true });
    const version = h('input', { name: 'version', required: true, autocomplete: 'off', placeholder: 'e.g. 1' });
    const path = h('input', { name: 'path', autocomplete: 'off', placeholder: '/srv/models/sentiment-small/1' });
    const archive = h('input', { name: 'archive', type: 'file', accept: '.zip,application/zip' });
    const slot = h('div', { class: 'form-error' });
    const form = h('form', { id: 'add-version', class: 'card grid-form' },
      h('h2', {}, 'Add a version'),
      field('Model', this.modelSelect), field('Version', version),
      field('Upload a .zip of the version directory', archive, 'Weights, serving.properties and tokenizer files; checked before it is registered.'),
      field('Or a directory on the server', path, 'The absolute path of the model version directory on the gateway host.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add version')), slot);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitting(form, slot, async () => {
        const model = this.modelSelect.value;
        const file = archive.files && archive.files[0];
        if (file) {
          const data = new FormData();
          data.append('version', version.value.trim());
          data.append('file', file, file.name);
          await upload(`/models/${encodeURIComponent(model)}/versions/upload`, data);
        } else if (path.value.trim()) {
          await api(`/models/${encodeURIComponent(model)}/versions`, { method: 'POST', body: { version: version.value.trim(), path: path.value.trim() } });
        } else {
          throw new ApiError('Choose a .zip to upload, or give a directory on the server.', 400, 'missing_required_parameter');
        }
        announce(`Version ${version.value.trim()} of ${model} added.`);
        version.value = '';
        path.value = '';
        archive.value = '';
        this.load();
      });
    });
    return form;
  }
});
