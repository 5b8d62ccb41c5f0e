// The console shell: session check, login, navigation (hash routes), language
// switch. Each page module exports render(container, params) and may return
// a cleanup function (timers).
import { api, setCsrfToken, onUnauthorized } from './api.js';
import { h, clear } from './dom.js';
import { t, language, onLanguageChange } from './i18n.js';
import { languageSwitch, badge } from './widgets.js';
import { setSession, sessionUser, sessionRole, isAdmin } from './session.js';
import * as login from './pages/login.js';
import * as dashboard from './pages/dashboard.js';
import * as archive from './pages/archive.js';
import * as message from './pages/message.js';
import * as approvals from './pages/approvals.js';
import * as logs from './pages/logs.js';
import * as config from './pages/config.js';

const PAGES = {
  dashboard: { module: dashboard, nav: 'nav.dashboard', icon: '▦' },
  archive: { module: archive, nav: 'nav.archive', icon: '⌕' },
  approvals: { module: approvals, nav: 'nav.approvals', icon: '✓' },
  logs: { module: logs, nav: 'nav.logs', icon: '≡' },
  config: { module: config, nav: 'nav.config', icon: '⚙', adminOnly: true },
  message: { module: message, parent: 'archive' },
};

const state = { cleanup: null };
const root = document.getElementById('app');

export function navigate(path) { location.hash = '#/' + path; }

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'dashboard', args: parts.slice(1), query: new URLSearchParams(query) };
}

function renderShell() {
  const route = parseHash();
  const allowed = (name) => PAGES[name] && (!PAGES[name].adminOnly || isAdmin());
  const page = allowed(route.page) ? route.page : 'dashboard';
  const active = PAGES[page].parent || page;
  if (state.cleanup) { state.cleanup(); state.cleanup = null; }
  clear(root);
  document.documentElement.lang = language();
  const nav = h('nav', { class: 'nav', 'aria-label': t('nav.label') },
    Object.entries(PAGES).filter(([name, p]) => p.nav && allowed(name)).map(([name, p]) =>
      h('a', { href: '#/' + name, class: 'nav-item' + (name === active ? ' active' : ''), 'data-page': name },
        h('span', { class: 'nav-icon', 'aria-hidden': 'true', text: p.icon }), h('span', { text: t(p.nav) }))));
  const header = h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: '#/dashboard' }, h('img', { src: '/img/icon.svg', alt: '', width: 24, height: 24 }),
      h('span', { text: 'mailtee' }), h('span', { class: 'brand-sub', text: t('app.subtitle') })),
    h('div', { class: 'topbar-right' },
      languageSwitch(),
      h('span', { class: 'who', title: t('app.signedInAs') }, sessionUser()),
      h('span', { id: 'session-role', title: t('app.role') }, badge(t('role.' + sessionRole()), isAdmin() ? 'sent' : 'warn')),
      h('button', { class: 'btn btn-ghost', id: 'logout', onclick: logout, text: t('app.logout') })));
  const main = h('main', { class: 'content', id: 'content' });
  root.append(header, h('div', { class: 'body' }, nav, main));
  document.title = `${t(PAGES[page].nav || PAGES[active].nav)} · mailtee`;
  try {
    const cleanup = PAGES[page].module.render(main, route);
    if (typeof cleanup === 'function') state.cleanup = cleanup;
  } catch (e) {
    main.append(h('div', { class: 'alert alert-error', text: e.message }));
  }
}

function renderLogin(message) {
  if (state.cleanup) { state.cleanup(); state.cleanup = null; }
  clear(root);
  document.documentElement.lang = language();
  document.title = `${t('login.title')} · mailtee`;
  login.render(root, { message, onLoggedIn: (r) => { setSession(r); setCsrfToken(r.csrf_token); route(); } });
}

async function logout() {
  try { await api('/api/logout', { method: 'POST' }); } catch (e) { /* the session may be gone already */ }
  setSession(null);
  setCsrfToken('');
  renderLogin();
}

function route() {
  if (!sessionUser()) renderLogin();
  else renderShell();
}

onUnauthorized(() => {
  if (!sessionUser()) return;
  setSession(null);
  setCsrfToken('');
  renderLogin(t('login.expired'));
});
onLanguageChange(route);
window.addEventListener('hashchange', () => { if (sessionUser()) renderShell(); });

api('/api/session', { quiet401: true })
  .then((r) => { setSession(r); setCsrfToken(r.csrf_token); route(); })
  .catch(() => renderLogin());
