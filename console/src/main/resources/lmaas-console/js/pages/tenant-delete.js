// The tenant page's danger zone (platform admin only): deleting a tenant, confirmed by typing its name. The deletion
// removes its keys, files, models, adapters, deployments, jobs, batches and Keycloak group; the usage ledger is kept
// for billing unless "delete its usage history too" is ticked.

import { h, field, submitting, announce } from '../dom.js';
import { api } from '../api.js';

export function deleteSection(tenant) {
  const confirm = h('input', { id: 'delete-tenant-confirm', name: 'confirm', autocomplete: 'off', required: true });
  const ledger = h('input', { id: 'delete-tenant-ledger', type: 'checkbox' });
  const button = h('button', { type: 'submit', class: 'danger', disabled: true }, 'Delete this tenant');
  confirm.addEventListener('input', () => { button.disabled = confirm.value !== tenant.name; });
  const slot = h('div');
  const form = h('form', {
    id: 'delete-tenant',
    onsubmit: (ev) => {
      ev.preventDefault();
      if (confirm.value !== tenant.name) return;
      submitting(form, slot, async () => {
        await api(`/tenants/${encodeURIComponent(tenant.id)}`, { method: 'DELETE', query: { ledger: ledger.checked ? 'delete' : 'keep' } });
        announce(`Tenant ${tenant.name} deleted.`);
        location.hash = '#/tenants';
      });
    },
  },
  h('p', {}, 'Deleting the tenant removes its API keys, files, models and adapters, deployments, jobs and batches, and its'
    + ' Keycloak group, at once and for good. Running jobs and batches must be cancelled first.'),
  field(`Type the tenant's name (${tenant.name}) to confirm`, confirm),
  field('Delete its usage history too (otherwise kept for billing, without the name)', ledger),
  button, slot);
  return h('section', { 'aria-labelledby': 'delete-h', class: 'danger-zone' }, h('h2', { id: 'delete-h' }, 'Delete tenant'), form);
}
