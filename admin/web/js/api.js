// The JSON API client: the session cookie rides along (same origin); every
// state-changing request carries the CSRF token from login / GET /api/session.
// An error answer with a "code" (e.g. role_forbidden) is shown in the
// console's language: strings.js "err.<code>", filled with the answer's fields.
import { t } from './i18n.js';

let csrfToken = '';
let unauthorizedHandler = null;

export class ApiError extends Error {
  constructor(status, message, code = '') {
    super(message);
    this.status = status;
    this.code = code;  // a machine-readable reason some endpoints add ("own-message", "role_forbidden")
  }
}

export function setCsrfToken(token) { csrfToken = token || ''; }
export function onUnauthorized(fn) { unauthorizedHandler = fn; }

export async function api(path, { method = 'GET', body, quiet401 = false } = {}) {
  const opts = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET' && method !== 'HEAD') opts.headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, e.message);
  }
  const type = response.headers.get('content-type') || '';
  const data = type.startsWith('application/json') ? await response.json().catch(() => ({})) : await response.text();
  if (!response.ok) {
    if (response.status === 401 && !quiet401 && unauthorizedHandler) unauthorizedHandler();
    const code = (data && typeof data === 'object' && data.code) || '';
    const translated = code ? t('err.' + code, data) : '';
    const message = (translated && translated !== 'err.' + code ? translated : '') ||
      (data && data.error) || response.statusText || `HTTP ${response.status}`;
    throw new ApiError(response.status, message, code);
  }
  return data;
}
