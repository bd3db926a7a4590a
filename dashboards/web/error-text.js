// The one place where an API failure becomes words for a person. The cloud answers errors as
// `{code: 'SP_ERR_…', message, details: [{field, reason}]}`; those codes are for logs and scripts,
// never for the screen. Every fetch wrapper in dashboards/web passes its failure through here.

/** internal marker (not an SP_ERR code: the server never sends it) for "no answer at all" */
export const UNREACHABLE = 'unreachable';

/** network error, timeout, or a proxy / server that is down */
export const isUnreachableStatus = (status) => status === 0 || status >= 500;

const BY_CODE = {
  SP_ERR_UNAUTHENTICATED: 'Not signed in: paste an API token to sign in.',
  SP_ERR_FORBIDDEN: 'Your role may not see or do this.',
  SP_ERR_NOT_FOUND: 'Not found.',
  SP_ERR_TOO_LARGE: 'The request is too large.',
  SP_ERR_INTERNAL: 'The server hit an internal error; it is in the cloud log.',
  SP_ERR_CONFLICT: 'Someone else changed this first; reload and try again.',
};

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
  if (isUnreachableStatus(status) && body?.code !== 'SP_ERR_INTERNAL') return 'Cannot reach the server, retrying…';
  if (status === 401) {
    const reason = body?.details?.[0]?.reason ?? '';
    return /revoked|unknown/.test(reason) ? 'Sign-in expired: this token is unknown or revoked. Paste a new one.' : BY_CODE.SP_ERR_UNAUTHENTICATED;
  }
  if (status === 403) return BY_CODE.SP_ERR_FORBIDDEN;
  // validation and domain refusals carry the useful part in the reason ("qty must be > 0")
  const reason = stripCodes(body?.details?.[0]?.reason);
  if (reason && status >= 400 && status < 500 && status !== 404) return reason.charAt(0).toUpperCase() + reason.slice(1);
  if (body?.code && BY_CODE[body.code]) return BY_CODE[body.code];
  const msg = stripCodes(body?.message);
  return msg || `The server answered ${status}.`;
}
