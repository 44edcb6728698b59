// The tenant page's data retention (GET for the tenant's admins, PUT for the platform admin): how long its files and
// batch outputs are kept, or zero retention (training files deleted once their job ends, batch outputs once downloaded
// or a day old). A sweeper deletes what is due and records each deletion in the audit log; files are encrypted at rest
// with the tenant's own key either way.

import { h, field, submitting, announce, errorBox } from '../dom.js';
import { api } from '../api.js';

export function retentionSection(tenant, admin) {
  const base = `/tenants/${encodeURIComponent(tenant.id)}/retention`;
  const files = h('input', { id: 'retention-files-days', name: 'files_days', type: 'number', min: 1, max: 36500, step: 1,
    placeholder: 'Until deleted', inputmode: 'numeric' });
  const outputs = h('input', { id: 'retention-batch-days', name: 'batch_outputs_days', type: 'number', min: 1, max: 36500,
    step: 1, placeholder: 'Until deleted', inputmode: 'numeric' });
  const zero = h('input', { id: 'retention-zero', name: 'zero_retention', type: 'checkbox' });
  [files, outputs, zero].forEach((i) => { i.disabled = !admin; });
  const slot = h('div', { class: 'form-error' });
  const days = (v) => (v.value.trim() === '' ? null : Number(v.value));
  const show = (r) => {
    files.value = r.files_days == null ? '' : String(r.files_days);
    outputs.value = r.batch_outputs_days == null ? '' : String(r.batch_outputs_days);
    zero.checked = !!r.zero_retention;
  };
  const form = h('form', {
    id: 'retention-form',
    class: 'grid-form',
    onsubmit: (ev) => {
      ev.preventDefault();
      submitting(form, slot, async () => {
        show(await api(base, { method: 'PUT', body: { files_days: days(files), batch_outputs_days: days(outputs),
          zero_retention: zero.checked } }));
        announce('Retention saved.');
      });
    },
  },
  field('Keep files for (days)', files),
  field('Keep batch outputs for (days)', outputs),
  field('Zero retention', zero, 'Training files go when their job ends; batch outputs once downloaded, or after a day.'),
  admin ? h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save retention')) : null, slot);
  api(base).then(show, (err) => slot.replaceChildren(errorBox(err, 'Could not load the retention settings')));
  return h('section', { 'aria-labelledby': 'retention-h' }, h('h2', { id: 'retention-h' }, 'Data retention'),
    h('p', { class: 'muted' }, 'Leave a field empty to keep until deleted. Every deletion is in the audit log.'), form);
}
