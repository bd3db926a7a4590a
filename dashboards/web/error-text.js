// The one place where an API failure becomes words for a person. The cloud answers errors as
// `{code: 'SP_ERR_…', message, details: [{field, reason}]}`; those codes are for logs and scripts,
// never for the screen. Every fetch wrapper in dashboards/web passes its failure through here.
import { t } from './i18n.js';

/** internal marker (not an SP_ERR code: the server never sends it) for "no answer at all" */
export const UNREACHABLE = 'unreachable';

/** network error, timeout, or a proxy / server that is down */
export const isUnreachableStatus = (status) => status === 0 || status >= 500;

// the sentence for each code lives in the message catalogues (i18n/*.js: error.SP_ERR_…)
const hasText = (code) => typeof code === 'string' && t(`error.${code}`) !== `error.${code}`;

/** strips any coded prefix (`SP_ERR_…:`) and `field: ` noise a message may carry */
export function stripCodes(text) {
  return String(text ?? '').replace(/\bSP_ERR_[A-Z0-9_]+\b:?\s*/g, '').trim();
}

/**
 * @param {number} status HTTP status, 0 when nothing answered
 * @param {{code?:string, message?:string, details?:{field?:string, reason?:string}[]}|null} body
 * @returns {string} a sentence for a person
 */
export function humanError(status, body) {
  if (isUnreachableStatus(status) && body?.code !== 'SP_ERR_INTERNAL') return t('error.unreachable');
  if (status === 401) {
    const reason = body?.details?.[0]?.reason ?? '';
    return /revoked|unknown/.test(reason) ? t('error.signInExpired') : t('error.SP_ERR_UNAUTHENTICATED');
  }
  if (status === 403) return t('error.SP_ERR_FORBIDDEN');
  // validation and domain refusals carry the useful part in the reason ("qty must be > 0")
  const reason = stripCodes(body?.details?.[0]?.reason);
  // (the reason is the server's English; a catalogue may put the translated code's sentence around it)
  if (reason && status >= 400 && status < 500 && status !== 404) {
    const sentence = reason.charAt(0).toUpperCase() + reason.slice(1);
    return t('error.withReason', { reason: sentence, message: hasText(body?.code) ? t(`error.${body.code}`) : '', field: body?.details?.[0]?.field ?? '' });
  }
  if (hasText(body?.code) && body.code !== 'SP_ERR_VALIDATION') return t(`error.${body.code}`);
  const msg = stripCodes(body?.message);
  return msg || t('error.serverAnswered', { status });
}
