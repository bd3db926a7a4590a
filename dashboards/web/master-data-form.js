// The master-data form: built from an entity's field list (master-data-entities.js), read back
// into an API body (create: only what is filled in; edit: every editable field, empty → null),
// and marked field by field from a coded error's details (the reason in words next to the input).
import { t } from './i18n.js';
import { humanError } from './error-text.js';
import { fmtNum, fmtQty } from './format.js';

export const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(e.dataset, v); else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...kids.filter((k) => k !== null && k !== undefined).map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
  return e;
};

/** the value as the form shows it (money in major units) */
function shown(f, v) {
  if (v === null || v === undefined) return '';
  if (f.type === 'money') return String(v / 100);
  return String(v);
}

/**
 * @param {HTMLFormElement} form
 * @param {{fields: object[]}} spec
 * @param {object|null} record the record being edited, null for a new one
 * @param {{showCost: boolean, choices: Record<string, {value:string,label:string}[]>}} ctx
 */
export function buildForm(form, spec, record, ctx) {
  form.replaceChildren();
  for (const f of spec.fields) {
    if (f.cost && !ctx.showCost) continue;
    const id = `f-${f.name}`;
    const value = record ? record[f.name] : f.default;
    const disabled = Boolean(record && f.createOnly);
    let input;
    if (f.type === 'bool') {
      input = el('input', { type: 'checkbox', id, name: f.name, disabled, dataset: { testid: `field-${f.name}` } });
      input.checked = Boolean(value);
    } else if (f.type === 'select') {
      const opts = f.options ? f.options().map((o) => ({ value: o.value, label: t(o.labelKey) })) : ctx.choices[f.name] ?? [];
      input = el('select', { id, name: f.name, disabled, dataset: { testid: `field-${f.name}` } },
        el('option', { value: '' }, t('md.none')), ...opts.map((o) => el('option', { value: o.value }, o.label)));
      // a value the picker no longer offers (archived supplier) stays visible as itself
      if (value && !opts.some((o) => o.value === value)) input.append(el('option', { value }, value));
      input.value = value ?? '';
    } else {
      const numeric = f.type !== 'text';
      input = el('input', {
        id, name: f.name, disabled, type: 'text', inputmode: numeric ? 'decimal' : undefined, autocomplete: 'off',
        dataset: { testid: `field-${f.name}` },
      });
      input.value = shown(f, value);
    }
    const label = el('label', { for: id }, t(`md.f.${f.name}`), f.required ? ' *' : '');
    const err = el('div', { class: 'field-error', id: `${id}-err`, dataset: { testid: `error-${f.name}` }, 'aria-live': 'polite' });
    input.setAttribute('aria-describedby', err.id);
    form.append(f.type === 'bool'
      ? el('div', { class: 'field check' }, input, label, err)
      : el('div', { class: 'field' }, label, input, err));
  }
}

/** the body to send: for a new record only filled fields; for an edit every editable field (empty → null) */
export function readForm(form, spec, editing, ctx) {
  const body = {};
  for (const f of spec.fields) {
    if (f.cost && !ctx.showCost) continue;
    if (editing && f.createOnly) continue;
    const input = form.elements.namedItem(f.name);
    if (!input) continue;
    if (f.type === 'bool') { body[f.name] = input.checked; continue; }
    const raw = input.value.trim();
    if (raw === '') {
      if (editing && f.nullable) body[f.name] = null;
      continue;
    }
    if (f.type === 'int' || f.type === 'num' || f.type === 'money') {
      // a comma decimal (2,5) is how many people type it; anything else goes to the server as typed, which names the field
      const n = Number(raw.replace(',', '.'));
      body[f.name] = Number.isFinite(n) ? (f.type === 'money' ? Math.round(n * 100) : n) : raw;
    } else {
      body[f.name] = raw;
    }
  }
  return body;
}

export function clearErrors(form) {
  for (const e of form.querySelectorAll('.field-error')) e.textContent = '';
  for (const e of form.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
}

/** marks each field a coded error names; returns the details no input could take */
export function showErrors(form, status, body) {
  const rest = [];
  for (const d of body?.details ?? []) {
    const name = String(d.field ?? '').replace(/^body\./, '').split('.')[0];
    const input = name && form.elements.namedItem(name);
    const err = input && form.querySelector(`#f-${CSS.escape(name)}-err`);
    if (!err) { rest.push(d); continue; }
    input.setAttribute('aria-invalid', 'true');
    // the field is named by its label, not its API path (the reason itself is the server's words)
    err.textContent = humanError(status, { code: body.code, details: [{ ...d, field: t(`md.f.${name}`) }] });
  }
  return rest;
}

/** a list cell's text for a field */
export function cellText(f, v) {
  if (v === null || v === undefined || v === '') return '';
  if (f?.type === 'money') return fmtNum(v / 100, 2);
  if (f?.type === 'num' || f?.type === 'int') return fmtQty(v, 3);
  if (f?.type === 'bool') return v ? '✓' : '';
  if (f?.name === 'kind') return t(`md.kind.${v}`);
  if (f?.name === 'storageProfile') return ['ambient', 'chilled', 'frozen'].includes(v) ? t(`md.profile.${v}`) : v;
  return String(v);
}
