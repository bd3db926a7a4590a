// What the document, task and scan pages share: element building, the API call that turns a
// refusal into words (error-text.js) while keeping the code and the field, and showing a
// validation error at the field it names (details[].field) rather than only at the top.
import { authHeader, askForToken } from './token.js';
import { humanError } from './error-text.js';
import { ApiError } from './api.js';
import { t } from './i18n.js';

export const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...kids.flat().filter((x) => x !== null && x !== undefined && x !== false).map((x) => (x instanceof Node ? x : document.createTextNode(String(x)))));
  return e;
};

export async function call(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method, cache: 'no-store',
      headers: { accept: 'application/json', ...authHeader(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'unreachable', humanError(0, null));
  }
  const json = await res.json().catch(() => null);
  if (res.status === 401) askForToken(json?.details?.[0]?.reason);
  if (!res.ok) throw new ApiError(res.status, json?.code ?? `HTTP_${res.status}`, humanError(res.status, json), json?.details ?? []);
  return json;
}

/** the path of a document type in the API and in this UI's addresses */
export const ROUTE_OF = { purchase_order: 'purchase-orders', sales_order: 'sales-orders', customer_return: 'returns', count_session: 'count-sessions' };
export const TYPE_OF = Object.fromEntries(Object.entries(ROUTE_OF).map(([k, v]) => [v, k]));

/**
 * Shows an API refusal: the sentence in the form's error box, the code kept in a <details> (for
 * whoever reports it), and each detail whose field names an input of the form at that input.
 */
export function showError(form, err) {
  for (const x of form.querySelectorAll('.field-error')) x.remove();
  for (const x of form.querySelectorAll('[aria-invalid]')) x.removeAttribute('aria-invalid');
  const box = form.querySelector('[data-role=form-error]') ?? form.appendChild(el('div', { 'data-role': 'form-error' }));
  box.replaceChildren();
  if (!err) { box.hidden = true; return; }
  box.hidden = false;
  box.className = 'form-error';
  box.dataset.testid = 'form-error';
  box.setAttribute('role', 'alert');
  const placed = [];
  for (const d of err.details ?? []) {
    const f = String(d.field ?? '').replace(/^body\./, '');
    const input = f && form.querySelector(`[data-field="${CSS.escape(f)}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.after(el('div', { class: 'field-error', 'data-testid': 'field-error', 'data-for': f }, d.reason));
      placed.push(f);
    }
  }
  box.append(el('div', { 'data-testid': 'error-text' }, err.message ?? String(err)));
  if (err.code && err.code.startsWith('SP_ERR_')) {
    box.title = err.code;
    box.append(el('details', { class: 'error-code' }, el('summary', {}, t('doc.errorDetails')),
      el('code', { 'data-testid': 'error-code' }, err.code), ...(err.details ?? []).map((d) => el('div', {}, `${d.field}: ${d.reason}`))));
  }
}

/** a labelled input, ≥ 44 px to tap (documents.css) */
export function field(labelKey, input) {
  return el('label', { class: 'fld' }, el('span', {}, t(labelKey)), input);
}
