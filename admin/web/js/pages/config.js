// Running configuration, read-only: GET /api/config (passwords are never
// sent, only "password_set"). There is no validate/reload endpoint yet: the
// page says so; validate with `mailtee check-config` and restart.
import { api } from '../api.js';
import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { pageHeader, card, errorBox, loading, infoBox, badge, fieldList } from '../widgets.js';

export function render(main) {
  const body = h('div', {}, loading());
  main.append(pageHeader(t('nav.config')), infoBox(t('cfg.readOnly')), body);
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
