// Running configuration, read-only: GET /api/config (passwords are never
// sent, only "password_set"). Below it: check the config file on disk
// (POST /api/config/validate, problems with their line numbers) and, only
// once it is valid, reload it (POST /api/config/reload: the daemon drains
// its sessions and restarts itself with the file).
import { api } from '../api.js';
import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { pageHeader, card, errorBox, loading, infoBox, badge, fieldList } from '../widgets.js';

export function render(main) {
  const body = h('div', {}, loading());
  main.append(pageHeader(t('nav.config')), infoBox(t('cfg.readOnly')), reloadCard(), body);
  (async () => {
    let c;
    try {
      c = await api('/api/config');
    } catch (e) {
      clear(body).append(errorBox(e));
      return;
    }
    const general = card(t('cfg.general'), fieldList([
      [t('cfg.source'), c.source], [t('cfg.storage'), c.storage_dir],
      [t('cfg.logRetention'), c.logs ? t('cfg.days', { n: c.logs.retention_days }) : ''],
      [t('cfg.transcripts'), c.logs ? (c.logs.transcripts ? t('common.on') : t('common.off')) : ''],
      [t('cfg.tls'), c.tls && c.tls.cert ? `${c.tls.cert} / ${c.tls.key}` : t('dash.certSelfSigned')],
    ]));
    const listeners = (c.listeners || []).map((l) => card(`${l.name} · ${String(l.protocol).toUpperCase()}`, fieldList([
      [t('dash.address'), `${l.address}:${l.port} (${l.tls})`],
      [t('dash.upstream'), l.upstream ? `${l.upstream.host}:${l.upstream.port} (${l.upstream.tls}${l.upstream.verify ? '' : ', ' + t('cfg.noVerify')})` : t('dash.noUpstream')],
      [t('cfg.auth'), l.auth ? `${l.auth.mode}${l.auth.user ? ' · ' + l.auth.user : ''}` : ''],
      [t('cfg.password'), l.auth && l.auth.password_set ? badge(t('cfg.passwordSet'), 'neutral') : ''],
      [t('cfg.allow'), l.allow],
      [t('cfg.maxMessage'), l.max_message_bytes ? String(l.max_message_bytes) : ''],
      [t('cfg.bareNewline'), l.bare_newline],
    ])));
    const raw = h('details', { class: 'card raw' }, h('summary', { text: t('cfg.raw') }),
      h('pre', { class: 'code', id: 'config-json', text: JSON.stringify(c, null, 2) }));
    clear(body).append(general, h('h2', { class: 'section-title', text: t('cfg.listeners') }), h('div', { class: 'grid-2' }, listeners), raw);
  })();
}

// One problem: "line 12 · error: message — hint".
function problemItem(p) {
  return h('li', { class: `cfg-problem cfg-${p.severity}` },
    h('span', { class: 'cfg-line', text: p.line ? t('cfg.line', { n: p.line }) : p.file }), ' ',
    badge(p.severity === 'error' ? t('cfg.error') : t('cfg.warning'), p.severity === 'error' ? 'bad' : 'warn'), ' ',
    h('span', { text: p.message + (p.hint ? ' — ' + p.hint : '') }));
}

function problemList(result) {
  if (!result.problems || result.problems.length === 0) return null;
  return h('ul', { class: 'cfg-problems', id: 'config-problems' }, result.problems.map(problemItem));
}

// Validate first; the reload button stays disabled until the file on disk is valid.
function reloadCard() {
  const status = h('div', { id: 'config-check-status' });
  const reload = h('button', { class: 'btn btn-danger', type: 'button', id: 'config-reload', disabled: true,
    text: t('cfg.reload') });
  const validate = h('button', { class: 'btn btn-primary', type: 'button', id: 'config-validate',
    text: t('cfg.validate') });
  validate.addEventListener('click', async () => {
    validate.disabled = true;
    reload.disabled = true;
    clear(status).append(loading());
    try {
      const r = await api('/api/config/validate', { method: 'POST' });
      const verdict = r.ok ? infoBox(t('cfg.valid', { source: r.source, warnings: r.warnings }))
        : h('div', { class: 'alert alert-error', role: 'alert', text: t('cfg.invalid', { n: r.errors }) });
      const problems = problemList(r);
      clear(status).append(...(problems ? [verdict, problems] : [verdict]));
      reload.disabled = !r.ok;
    } catch (e) {
      clear(status).append(errorBox(e));
    } finally {
      validate.disabled = false;
    }
  });
  reload.addEventListener('click', async () => {
    if (!window.confirm(t('cfg.reloadConfirm'))) return;
    reload.disabled = true;
    try {
      await api('/api/config/reload', { method: 'POST' });
      clear(status).append(infoBox(t('cfg.reloading')));
    } catch (e) {
      clear(status).append(errorBox(e));
    }
  });
  return card(t('cfg.checkTitle'), h('p', { class: 'muted', text: t('cfg.checkHelp') }),
    h('div', { class: 'page-actions' }, validate, reload), status);
}
