// The login form: POST /api/login {"user","password"} -> cookie + csrf_token.
import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { languageSwitch } from '../widgets.js';

export function render(root, { message, onLoggedIn }) {
  const error = h('div', { class: 'alert alert-error', role: 'alert', hidden: !message, text: message || '' });
  const user = h('input', { id: 'login-user', name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true });
  const button = h('button', { class: 'btn btn-primary btn-block', type: 'submit', id: 'login-submit', text: t('login.submit') });
  const form = h('form', { class: 'login-form', id: 'login-form', onsubmit: async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    error.hidden = true;
    try {
      const r = await api('/api/login', { method: 'POST', body: { user: user.value, password: password.value }, quiet401: true });
      password.value = '';
      onLoggedIn(r);
    } catch (e) {
      error.textContent = e.status === 401 ? t('login.failed') : e.status === 429 ? t('login.throttled') : e.message;
      error.hidden = false;
      password.select();
    } finally {
      button.disabled = false;
    }
  } },
  h('label', { for: 'login-user', text: t('login.user') }), user,
  h('label', { for: 'login-password', text: t('login.password') }), password,
  error, button);
  root.append(h('div', { class: 'login-page' },
    h('div', { class: 'login-card' },
      h('div', { class: 'login-head' },
        h('img', { src: '/img/icon.svg', alt: '', width: 40, height: 40 }),
        h('div', {}, h('h1', { text: 'mailtee' }), h('p', { class: 'muted', text: t('login.subtitle') }))),
      form,
      h('div', { class: 'login-foot' }, languageSwitch()))));
  user.focus();
}
