// A customer return: the warehouse books the goods back into a location; QA inspects and either
// restocks them or scraps them.
import { t } from './i18n.js';
import { call, el, field, showError } from './doc-common.js';
import { getLocations } from './doc-items.js';

export async function returnForm(d, after) {
  const form = el('form', { class: 'doc-form', 'data-testid': 'return-form' });
  const submit = el('button', { type: 'submit', class: 'btn primary' });
  let body;
  if (d.may.includes('receive')) {
    const loc = el('select', { 'data-field': 'location', 'data-testid': 'return-location' }, ...(await getLocations()).filter((l) => l.kind !== 'site').map((l) => el('option', { value: l.id }, l.id)));
    form.append(field('doc.col.location', loc));
    submit.textContent = t('doc.do.receive');
    submit.dataset.testid = 'action-receive';
    body = () => ['receive', { location: loc.value }];
  } else {
    const disp = el('select', { 'data-field': 'disposition', 'data-testid': 'disposition' }, el('option', { value: 'restock' }, t('doc.restock')), el('option', { value: 'scrap' }, t('doc.scrap')));
    const note = el('input', { 'data-field': 'note', maxlength: '500' });
    form.append(field('doc.disposition', disp), field('doc.note', note));
    submit.textContent = t('doc.do.inspect');
    submit.dataset.testid = 'action-inspect';
    body = () => ['inspect', { disposition: disp.value, ...(note.value.trim() ? { note: note.value.trim() } : {}) }];
  }
  form.append(submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    const [action, b] = body();
    try { await call('POST', `/api/returns/${d.id}/${action}`, b); await after(); } catch (err) { showError(form, err); submit.disabled = false; }
  });
  return form;
}
