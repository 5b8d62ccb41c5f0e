// Dashboard: GET /api/status (version, uptime, listeners, certificate, holds waiting),
// GET /api/sessions (each live client session) and GET /api/stats/volume
// (messages per hour and per user). Refreshes every 30 s.
import { api } from '../api.js';
import { h, clear } from '../dom.js';
import { t, formatDuration, formatDateTime, formatHour, formatBytes, formatNumber } from '../i18n.js';
import { pageHeader, card, errorBox, loading, badge } from '../widgets.js';
import { stackedBars, horizontalBars } from '../charts.js';

function stat(label, value, note, cls) {
  return h('div', { class: 'stat ' + (cls || '') },
    h('div', { class: 'stat-label', text: label }),
    h('div', { class: 'stat-value', text: value }),
    note ? h('div', { class: 'stat-note', text: note }) : null);
}

function statusCards(s) {
  const tls = s.tls || {};
  let certValue = t('dash.certSelfSigned'), certNote = '', certCls = '';
  if (tls.error) { certValue = t('dash.certUnreadable'); certNote = tls.error; certCls = 'stat-bad'; }
  else if (tls.days_left !== undefined) {
    certValue = t('dash.daysLeft', { n: tls.days_left });
    certNote = formatDateTime(tls.not_after);
    certCls = tls.days_left < 14 ? 'stat-bad' : tls.days_left < 30 ? 'stat-warn' : 'stat-ok';
  }
  const sessions = (s.listeners || []).reduce((n, l) => n + (l.sessions || 0), 0);
  return h('div', { class: 'stats' },
    stat(t('dash.version'), s.version || '?', t('dash.startedAt', { at: formatDateTime(s.started_at) })),
    stat(t('dash.uptime'), formatDuration(s.uptime_seconds || 0)),
    stat(t('dash.sessions'), formatNumber(sessions), t('dash.adminSessions', { n: s.admin_sessions || 0 })),
    stat(t('dash.certificate'), certValue, certNote, certCls),
    holdsStat(s.approvals));
}

// How many held messages wait for a decision; links to the approval queue.
// Absent when the daemon runs without <approval enabled="true">.
function holdsStat(approvals) {
  if (!approvals || !approvals.enabled) return null;
  const known = typeof approvals.pending === 'number';
  const box = stat(t('dash.holdsWaiting'), known ? formatNumber(approvals.pending) : t('dash.holdsUnknown'),
    known ? t('dash.holdsNote') : approvals.error, known && approvals.pending > 0 ? 'stat-warn' : '');
  box.id = 'holds-waiting';
  return h('a', { href: '#/approvals', class: 'stat-link' }, box);
}

function listenersTable(listeners) {
  if (!listeners.length) return h('p', { class: 'muted', text: t('dash.noListeners') });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, [t('dash.listener'), t('dash.protocol'), t('dash.address'), t('dash.upstream'), t('dash.sessions')]
      .map((x) => h('th', { text: x })))),
    h('tbody', {}, listeners.map((l) => h('tr', {},
      h('td', { class: 'strong', text: l.name }),
      h('td', {}, badge(String(l.protocol).toUpperCase(), 'neutral')),
      h('td', { class: 'mono', text: `${l.address}:${l.port}` }),
      h('td', {}, l.has_provider ? badge(t('dash.connected'), 'ok') : badge(t('dash.noUpstream'), 'warn')),
      h('td', { class: 'num', text: formatNumber(l.sessions) }))))));
}

function sessionsTable(sessions) {
  if (!sessions.length) return h('p', { class: 'muted', text: t('dash.noLiveSessions') });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'live-sessions' },
    h('thead', {}, h('tr', {}, [t('dash.listener'), t('dash.client'), t('dash.login'), t('dash.tls'), t('dash.state'),
      t('dash.since'), t('dash.messages')].map((x) => h('th', { text: x })))),
    h('tbody', {}, sessions.map((s) => h('tr', {},
      h('td', {}, s.listener + ' ', badge(String(s.protocol).toUpperCase(), 'neutral')),
      h('td', { class: 'mono', text: s.client }),
      h('td', { text: s.login || '—' }),
      h('td', {}, s.tls ? badge(t('dash.tlsOn'), 'ok') : badge(t('dash.tlsOff'), 'warn')),
      h('td', { class: 'mono', text: s.state }),
      h('td', { text: formatDateTime(s.started_at) }),
      h('td', { class: 'num', text: formatNumber(s.messages) }))))));
}

function volumeCharts(v) {
  const rows = v.buckets.map((b) => ({ label: formatHour(b.start), values: { sent: b.sent, received: b.received } }));
  const every = rows.length > 48 ? 24 : rows.length > 24 ? 6 : 3;
  const perHour = stackedBars({ rows, labelEvery: every, ariaLabel: t('dash.volumeTitle'),
    series: [{ key: 'sent', label: t('dir.sent'), cls: 's-sent' }, { key: 'received', label: t('dir.received'), cls: 's-received' }] });
  const users = v.users.length
    ? horizontalBars({ ariaLabel: t('dash.usersTitle'), items: v.users.map((u) => ({ label: u.user || '—', value: u.messages,
      note: `${formatNumber(u.messages)} · ${formatBytes(u.bytes)}` })) })
    : h('p', { class: 'muted', text: t('dash.noMail') });
  return [perHour, users];
}

export function render(main) {
  let hours = 24;
  const statusBox = h('div', {}, loading());
  const listenersBox = h('div', {}, loading());
  const sessionsBox = h('div', {}, loading());
  const volumeBox = h('div', {}, loading());
  const usersBox = h('div', {}, loading());
  const totalNote = h('span', { class: 'muted' });
  const range = h('select', { id: 'volume-hours', 'aria-label': t('dash.range'), onchange: (e) => { hours = Number(e.target.value); refresh(); } },
    h('option', { value: 24, text: t('dash.last24h') }), h('option', { value: 168, text: t('dash.last7d') }));
  const refreshButton = h('button', { class: 'btn', onclick: () => refresh(), text: t('common.refresh') });
  main.append(
    pageHeader(t('nav.dashboard'), refreshButton),
    statusBox,
    card(t('dash.listeners'), listenersBox),
    card(t('dash.liveSessions'), sessionsBox),
    h('div', { class: 'grid-2' },
      h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', { class: 'card-title', text: t('dash.volumeTitle') }), range),
        volumeBox, totalNote),
      card(t('dash.usersTitle'), usersBox)));

  async function refresh() {
    try {
      const s = await api('/api/status');
      clear(statusBox).append(statusCards(s));
      clear(listenersBox).append(listenersTable(s.listeners || []));
    } catch (e) {
      clear(statusBox).append(errorBox(e));
      clear(listenersBox);
    }
    try {
      const live = await api('/api/sessions');
      clear(sessionsBox).append(sessionsTable(live.sessions || []));
    } catch (e) {
      clear(sessionsBox).append(errorBox(e));
    }
    try {
      const v = await api(`/api/stats/volume?hours=${hours}`);
      const [chart, users] = volumeCharts(v);
      clear(volumeBox).append(chart);
      clear(usersBox).append(users);
      totalNote.textContent = t('dash.total', { n: formatNumber(v.total) }) + (v.truncated ? ' ' + t('dash.truncated') : '');
    } catch (e) {
      clear(volumeBox).append(errorBox(e));
      clear(usersBox);
    }
  }
  refresh();
  const timer = setInterval(refresh, 30000);
  return () => clearInterval(timer);
}
