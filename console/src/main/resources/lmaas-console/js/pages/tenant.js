// Tenant page (#/tenants/<id>): API keys (create, rotate, revoke; secrets shown once), limits, GPU quota and
// fine-tuning budget, data retention, tenant admins.

import { h, fill, fmtTime, loading, errorBox, notFound, table, emptyRow, field, submitting, announce, badge } from '../dom.js';
import { api, ApiError } from '../api.js';
import { session } from '../auth.js';
import { Page } from '../page.js';
import { deleteSection } from './tenant-delete.js';
import { retentionSection } from './tenant-retention.js';

const KEYS_PAGE = 100;

const LIMITS = [
  ['rpm', 'Requests per minute'],
  ['tpm', 'Tokens per minute'],
  ['tokens_per_day', 'Tokens per day'],
  ['tokens_per_month', 'Tokens per month'],
  ['max_concurrent', 'Concurrent requests'],
];

function keyStatus(k) {
  const now = Date.now() / 1000;
  if (k.revoked_at) return badge('revoked', 'bad', `Revoked ${fmtTime(k.revoked_at)}`);
  if (k.expires_at && k.expires_at <= now) return badge('expired', 'bad');
  const parts = [badge('active', 'good')];
  if (k.expires_at) parts.push(' ', h('span', { class: 'muted' }, `expires ${fmtTime(k.expires_at)}`));
  if (k.previous_key_valid_until && k.previous_key_valid_until > now) {
    parts.push(' ', h('span', { class: 'muted' }, `old secret valid until ${fmtTime(k.previous_key_valid_until)}`));
  }
  return parts;
}

customElements.define('lm-tenant', class extends Page {
  get tid() { return this.params.id; }
  get base() { return `/tenants/${encodeURIComponent(this.tid)}`; }

  async render() {
    fill(this, loading());
    let tenant;
    try {
      tenant = await api(this.base);
    } catch (err) {
      if (!this.alive) return;
      fill(this, err.status === 404 || err.status === 403
        ? notFound(`No tenant ${this.tid}, or you cannot see it.`)
        : errorBox(err, 'Could not load the tenant'));
      return;
    }
    if (!this.alive) return;
    fill(this,
      h('p', { class: 'crumbs' }, h('a', { href: '#/tenants' }, 'Tenants'), ' / ', tenant.id),
      h('div', { class: 'page-head' }, h('h1', {}, tenant.name || tenant.id),
        h('a', { href: `#/usage?tenant=${encodeURIComponent(tenant.id)}`, class: 'button-link' }, 'View usage')),
      h('p', { class: 'muted' }, 'ID ', h('code', {}, tenant.id), ` · created ${fmtTime(tenant.created_at)}`),
      this.keysSection(), this.limitsSection(), this.gpuSection(), retentionSection(tenant, session.me?.platform_admin),
      session.me?.invites ? this.adminsSection() : null,
      session.me?.platform_admin ? deleteSection(tenant) : null);
  }

  // ---- keys ----

  keysSection() {
    const name = h('input', { name: 'name', required: true, maxlength: 200, autocomplete: 'off' });
    const slot = h('div', { class: 'form-error' });
    const form = h('form', { id: 'create-key', class: 'inline-form' },
      field('Key name', name), h('button', { type: 'submit' }, 'Create key'), slot);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitting(form, slot, async () => {
        const k = await api(`${this.base}/keys`, { method: 'POST', body: { name: name.value.trim() } });
        name.value = '';
        this.showSecret(k, `Key ${k.name} created.`);
        this.loadKeys();
      });
    });
    this.secretValue = h('code', { id: 'new-key-value' });
    this.secretTitle = h('h3', { tabindex: '-1' }, 'New secret');
    this.secretPanel = h('div', { id: 'new-key', class: 'card secret', hidden: true },
      this.secretTitle,
      h('p', {}, this.secretValue),
      h('p', { class: 'warn' }, 'Copy it now: it will not be shown again.'),
      h('div', { class: 'actions' },
        h('button', { id: 'copy-key', type: 'button', onclick: () => this.copySecret() }, 'Copy'),
        h('button', { type: 'button', class: 'secondary', onclick: () => this.hideSecret() }, 'Done')));
    this.keysBody = h('div');
    this.loadKeys();
    return h('section', { 'aria-labelledby': 'keys-h' }, h('h2', { id: 'keys-h' }, 'API keys'), form, this.secretPanel, this.keysBody);
  }

  showSecret(k, message) {
    this.secretTitle.textContent = `Secret for ${k.name}`;
    this.secretValue.textContent = k.key;
    this.secretPanel.hidden = false;
    this.secretTitle.focus();
    announce(`${message} Copy the secret now: it will not be shown again.`);
  }

  hideSecret() {
    this.secretValue.textContent = '';
    this.secretPanel.hidden = true;
    announce('Secret hidden.');
  }

  async copySecret() {
    const text = this.secretValue.textContent;
    try {
      await navigator.clipboard.writeText(text);
      announce('Secret copied to the clipboard.');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(this.secretValue);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      announce('The secret is selected: press Ctrl+C (or ⌘C) to copy it.');
    }
  }

  async loadKeys() {
    fill(this.keysBody, loading('Loading keys…'));
    const seq = this.nextLoad();
    this.keysCursor = null;
    const t = table('keys-table', 'API keys', ['Name', 'Key', 'Created', 'Status', 'Actions']);
    this.keysTbody = t.tbody;
    this.keysError = h('div');
    this.keysMore = h('button', { id: 'keys-more', type: 'button', class: 'secondary', hidden: true,
      onclick: () => this.keysPage(seq) }, 'Load more keys');
    if (await this.keysPage(seq, true)) fill(this.keysBody, this.keysError, t.wrap, this.keysMore);
  }

  /** One server page of keys (100), appended; the first page replaces the loading state. */
  async keysPage(seq, first = false) {
    this.keysMore.disabled = true;
    try {
      const res = await api(`${this.base}/keys`, { query: { limit: KEYS_PAGE, after: this.keysCursor } });
      if (!this.alive || seq !== this.loadSeq) return false;
      const keys = res.data || [];
      keys.forEach((k) => this.keysTbody.append(this.keyRow(k)));
      if (first && !keys.length) this.keysTbody.append(emptyRow(5, 'No keys yet.'));
      this.keysCursor = res.last_id;
      this.keysMore.hidden = !res.has_more;
      return true;
    } catch (err) {
      if (!this.alive) return false;
      if (first) fill(this.keysBody, errorBox(err, 'Could not load the keys'));
      else this.keysError.replaceChildren(errorBox(err, 'Could not load more keys'));
      return false;
    } finally {
      this.keysMore.disabled = false;
    }
  }

  keyRow(k) {
    const live = !k.revoked_at;
    return h('tr', { 'data-key-id': k.id },
      h('td', {}, k.name || '—'),
      h('td', {}, h('code', {}, k.redacted_key || '—')),
      h('td', {}, fmtTime(k.created_at)),
      h('td', {}, keyStatus(k)),
      h('td', { class: 'actions' }, live ? [
        h('button', { type: 'button', class: 'secondary', 'data-action': 'limits', 'aria-label': `Limits of ${k.name}`,
          'aria-expanded': 'false', onclick: (ev) => this.toggleKeyLimits(ev.currentTarget, k) }, 'Limits'),
        h('button', { type: 'button', class: 'secondary', 'data-action': 'rotate', 'aria-label': `Rotate ${k.name}`,
          onclick: (ev) => this.keyAction(ev.currentTarget, k, 'rotate') }, 'Rotate'),
        h('button', { type: 'button', class: 'danger', 'data-action': 'revoke', 'aria-label': `Revoke ${k.name}`,
          onclick: (ev) => this.keyAction(ev.currentTarget, k, 'revoke') }, 'Revoke'),
      ] : h('span', { class: 'muted' }, '—')));
  }

  /** Opens (or closes) a row under the key with its own limits, within the tenant's. */
  toggleKeyLimits(button, k) {
    const row = button.closest('tr');
    const next = row.nextElementSibling;
    if (next && next.dataset.limitsFor === k.id) {
      next.remove();
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    const limits = k.limits || {};
    const inputs = LIMITS.map(([name]) => h('input', { name, type: 'number', min: 0, step: 1, placeholder: 'Tenant’s', inputmode: 'numeric',
      value: limits[name] == null ? '' : String(limits[name]) }));
    const slot = h('div', { class: 'form-error' });
    const form = h('form', { class: 'grid-form key-limits-form', 'aria-label': `Limits of key ${k.name}` },
      LIMITS.map(([name, label], i) => field(`${label} (${name})`, inputs[i])),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save key limits')), slot);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitting(form, slot, async () => {
        const body = {};
        inputs.forEach((inp) => { body[inp.name] = inp.value.trim() === '' ? null : Number(inp.value); });
        k.limits = (await api(`${this.base}/keys/${encodeURIComponent(k.id)}/limits`, { method: 'PUT', body })).limits;
        announce(`Limits of key ${k.name} saved.`);
      });
    });
    row.after(h('tr', { 'data-limits-for': k.id }, h('td', { colspan: 5 },
      h('p', { class: 'muted' }, 'A key never gets more than its tenant: empty fields use the tenant’s limits.'), form)));
    button.setAttribute('aria-expanded', 'true');
    inputs[0].focus();
  }

  async keyAction(button, k, action) {
    if (action === 'revoke' && !confirm(`Revoke the key "${k.name}"? Apps using it will stop working at once.`)) return;
    if (action === 'rotate' && !confirm(`Rotate the key "${k.name}"? The old secret stops working at once; the new one is shown once.`)) return;
    button.disabled = true;
    this.keysError.replaceChildren();
    try {
      if (action === 'revoke') {
        await api(`${this.base}/keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' });
        announce(`Key ${k.name} revoked.`);
      } else {
        const r = await api(`${this.base}/keys/${encodeURIComponent(k.id)}/rotate`, { method: 'POST', body: { grace_period_seconds: 0 } });
        this.showSecret(r, `Key ${k.name} rotated.`);
      }
      this.loadKeys();
    } catch (err) {
      button.disabled = false;
      this.keysError.replaceChildren(errorBox(err, `Could not ${action} the key`));
    }
  }

  // ---- limits ----

  limitsSection() {
    const inputs = LIMITS.map(([name]) => h('input', { name, type: 'number', min: 0, step: 1, placeholder: 'Unlimited', inputmode: 'numeric' }));
    const admin = session.me?.platform_admin;
    inputs.forEach((i) => { i.disabled = !admin; }); // a tenant's quota is the operator's to set
    const slot = h('div', { class: 'form-error' });
    const form = h('form', { id: 'limits-form', class: 'grid-form' },
      LIMITS.map(([name, label], i) => field(`${label} (${name})`, inputs[i])),
      admin ? h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save limits')) : null, slot);
    const setValues = (l) => inputs.forEach((inp) => { inp.value = l[inp.name] == null ? '' : String(l[inp.name]); });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitting(form, slot, async () => {
        const body = {};
        inputs.forEach((inp) => { body[inp.name] = inp.value.trim() === '' ? null : Number(inp.value); });
        setValues(await api(`${this.base}/limits`, { method: 'PUT', body }));
        announce('Limits saved.');
      });
    });
    api(`${this.base}/limits`).then(setValues, (err) => slot.replaceChildren(errorBox(err, 'Could not load the limits')));
    return h('section', { 'aria-labelledby': 'limits-h' }, h('h2', { id: 'limits-h' }, 'Limits'),
      h('p', { class: 'muted' }, 'Leave a field empty for no limit.'), form);
  }

  // ---- GPU quota (Kubernetes) and fine-tuning budget ----

  gpuSection() {
    const admin = session.me?.platform_admin;
    const weight = h('input', { name: 'weight', type: 'number', min: 1, max: 1000, step: 1, required: true, inputmode: 'numeric' });
    const cohort = h('input', { name: 'cohort', autocomplete: 'off', placeholder: 'none', pattern: '[a-z0-9][a-z0-9-]{0,62}' });
    const nominal = h('input', { name: 'nominal', autocomplete: 'off', placeholder: 'e.g. h100=4, l4=2' });
    const borrowing = h('input', { name: 'borrowing_limit', autocomplete: 'off', placeholder: 'no limit' });
    const budget = h('input', { name: 'fine_tuning_seconds_per_month', type: 'number', min: 0, step: 1, placeholder: 'Unlimited', inputmode: 'numeric' });
    const inputs = [weight, cohort, nominal, borrowing, budget];
    inputs.forEach((i) => { i.disabled = !admin; });
    const slot = h('div', { class: 'form-error' });
    const form = h('form', { id: 'gpu-queue-form', class: 'grid-form' },
      field('Fair-share weight', weight),
      field('Cohort', cohort, 'Tenants of a cohort lend each other idle quota.'),
      field('GPUs guaranteed (flavor=count)', nominal),
      field('Most GPUs it may borrow (flavor=count)', borrowing),
      field('Fine-tuning worker-seconds per month', budget),
      admin ? h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save GPU quota')) : null, slot);
    const show = (q) => {
      weight.value = String(q.weight ?? 1);
      cohort.value = q.cohort || '';
      nominal.value = pairs(q.nominal);
      borrowing.value = pairs(q.borrowing_limit);
      budget.value = q.fine_tuning_seconds_per_month == null ? '' : String(q.fine_tuning_seconds_per_month);
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitting(form, slot, async () => {
        show(await api(`${this.base}/gpu-queue`, { method: 'PUT', body: {
          weight: Number(weight.value),
          cohort: cohort.value.trim() || null,
          nominal: parsePairs(nominal.value, 'GPUs guaranteed'),
          borrowing_limit: parsePairs(borrowing.value, 'Most GPUs it may borrow'),
          fine_tuning_seconds_per_month: budget.value.trim() === '' ? null : Number(budget.value),
        } }));
        announce('GPU quota saved.');
      });
    });
    api(`${this.base}/gpu-queue`).then(show, (err) => slot.replaceChildren(errorBox(err, 'Could not load the GPU quota')));
    return h('section', { 'aria-labelledby': 'gpu-h' }, h('h2', { id: 'gpu-h' }, 'GPU quota and fine-tuning budget'),
      h('p', { class: 'muted' }, admin ? 'Applies to GPU work on Kubernetes and to fine-tuning jobs everywhere.'
        : 'Set by the platform admin.'), form);
  }

  // ---- tenant admins ----

  adminsSection() {
    const email = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' });
    const password = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' });
    const temporary = h('input', { name: 'temporary_password', type: 'checkbox' });
    const slot = h('div', { class: 'form-error' });
    const form = h('form', { id: 'invite-admin', class: 'grid-form' },
      field('Email', email), field('Initial password', password),
      h('div', { class: 'field check' }, temporary, h('label', { for: (temporary.id = 'invite-temporary') }, 'Ask for a new password at first sign-in')),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add tenant admin')), slot);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitting(form, slot, async () => {
        const a = await api(`${this.base}/admins`, { method: 'POST',
          body: { email: email.value.trim(), password: password.value, temporary_password: temporary.checked } });
        password.value = '';
        email.value = '';
        announce(a.created ? `Account ${a.email || a.username} created and added.` : `Existing account ${a.email || a.username} added.`);
        this.loadAdmins();
      });
    });
    this.adminsBody = h('div');
    this.loadAdmins();
    return h('section', { 'aria-labelledby': 'admins-h' }, h('h2', { id: 'admins-h' }, 'Tenant admins'), this.adminsBody,
      h('h3', {}, 'Add a tenant admin'), form);
  }

  async loadAdmins() {
    fill(this.adminsBody, loading('Loading admins…'));
    let admins;
    try {
      admins = (await api(`${this.base}/admins`)).data || [];
    } catch (err) {
      if (this.alive) fill(this.adminsBody, errorBox(err, 'Could not load the tenant admins'));
      return;
    }
    if (!this.alive) return;
    const t = table('admins-table', 'Tenant admins', ['Username', 'Email', 'Actions']);
    const slot = h('div');
    admins.forEach((a) => t.tbody.append(h('tr', { 'data-user-id': a.id },
      h('td', {}, a.username || '—'), h('td', {}, a.email || '—'),
      h('td', {}, h('button', { type: 'button', class: 'danger', 'data-action': 'remove-admin', 'aria-label': `Remove ${a.email || a.username}`,
        onclick: async (ev) => {
          const button = ev.currentTarget;
          if (!confirm(`Remove ${a.email || a.username} from this tenant's admins?`)) return;
          button.disabled = true;
          try {
            await api(`${this.base}/admins/${encodeURIComponent(a.id)}`, { method: 'DELETE' });
            announce(`${a.email || a.username} removed.`);
            this.loadAdmins();
          } catch (err) {
            button.disabled = false;
            slot.replaceChildren(errorBox(err, 'Could not remove the admin'));
          }
        } }, 'Remove')))));
    if (!admins.length) t.tbody.append(emptyRow(3, 'No tenant admins yet.'));
    fill(this.adminsBody, slot, t.wrap);
  }
});

/** {"h100": 4, "l4": 2} → "h100=4, l4=2". */
function pairs(o) {
  return Object.entries(o || {}).map(([k, v]) => `${k}=${v}`).join(', ');
}

/** "h100=4, l4=2" → {"h100": 4, "l4": 2}; a clear error for anything else. */
function parsePairs(text, label) {
  const out = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z0-9][a-z0-9-]*)\s*=\s*(\d+)$/.exec(part);
    if (!m) throw new ApiError(`${label}: write flavor=count pairs separated by commas, e.g. h100=4, l4=2 (not "${part}").`, 400, 'invalid_value');
    out[m[1]] = Number(m[2]);
  }
  return out;
}
