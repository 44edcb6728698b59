// Tenants page (#/tenants): the tenant list (paged) and, for platform admins, the create form.

import { h, fill, fmtTime, loading, errorBox, table, emptyRow, field, submitting, announce } from '../dom.js';
import { api } from '../api.js';
import { session } from '../auth.js';
import { Page } from '../page.js';

const PAGE = 50;

function row(t) {
  return h('tr', { 'data-tenant-id': t.id },
    h('td', {}, h('a', { href: `#/tenants/${encodeURIComponent(t.id)}` }, t.name || t.id)),
    h('td', {}, h('code', {}, t.id)),
    h('td', {}, fmtTime(t.created_at)));
}

customElements.define('lm-tenants', class extends Page {
  render() {
    this.list = h('div');
    fill(this, h('div', { class: 'page-head' }, h('h1', {}, 'Tenants')),
      session.me?.platform_admin ? this.createForm() : null,
      h('section', {}, h('h2', {}, 'All tenants'), this.list));
    this.load();
  }

  createForm() {
    const name = h('input', { name: 'name', required: true, maxlength: 200, autocomplete: 'off' });
    const slot = h('div', { class: 'form-error' });
    const form = h('form', { id: 'create-tenant', class: 'card inline-form' },
      h('h2', {}, 'Create a tenant'), field('Name', name), h('button', { type: 'submit' }, 'Create tenant'), slot);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitting(form, slot, async () => {
        const t = await api('/tenants', { method: 'POST', body: { name: name.value.trim() } });
        name.value = '';
        announce(`Tenant ${t.name} created.`);
        this.tbody?.querySelector('.empty-row')?.remove();
        this.tbody?.prepend(row(t));
      });
    });
    return form;
  }

  async load() {
    fill(this.list, loading());
    const t = table('tenants-table', 'Tenants', ['Name', 'ID', 'Created']);
    this.tbody = t.tbody;
    this.more = h('button', { id: 'tenants-more', type: 'button', class: 'secondary', hidden: true, onclick: () => this.page() }, 'Load more');
    this.pageError = h('div');
    this.cursor = null;
    if (await this.page(true)) fill(this.list, t.wrap, this.pageError, this.more);
  }

  /** Loads the next page; returns false when the first page failed. */
  async page(first = false) {
    this.more.disabled = true;
    try {
      const res = await api('/tenants', { query: { limit: PAGE, after: this.cursor } });
      if (!this.alive) return false;
      (res.data || []).forEach((t) => this.tbody.append(row(t)));
      if (first && !res.data?.length) this.tbody.append(emptyRow(3, 'No tenants yet.'));
      this.cursor = res.last_id;
      this.more.hidden = !res.has_more;
      this.pageError.replaceChildren();
      return true;
    } catch (err) {
      if (first) fill(this.list, errorBox(err, 'Could not load the tenants'));
      else this.pageError.replaceChildren(errorBox(err, 'Could not load more tenants'));
      return false;
    } finally {
      this.more.disabled = false;
    }
  }
});
