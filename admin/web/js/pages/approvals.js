// Approval queue (docs/admin.md, /api/approvals):
//   #/approvals        pending holds as cards (approve / reject on behalf of an
//                      approver), proxy approvers, recent decisions, the approval log
//   #/approvals/<id>   one hold with its whole decision trail
// 404 from the API means the daemon runs without <approval enabled="true">.
// An auditor (read-only role) sees everything but no approve/reject/proxy controls.
// Items are the hold queue's records: id, state, sender, recipients, subject,
// attachment_names, size, rule, reason, approvers, quorum, approvals,
// decisions [{approver, on_behalf_of, action, at, client_ip, via, reason}],
// held_at / expires_at (Unix seconds), relay_result.
import { api } from '../api.js';
import { h, clear, append } from '../dom.js';
import { t, formatDateTime, formatBytes } from '../i18n.js';
import { pageHeader, card, errorBox, loading, badge, infoBox, fieldList } from '../widgets.js';
import { isAdmin } from '../session.js';

const LOG_DAYS = [1, 7, 30, 90];

function when(v) { return typeof v === 'number' && v < 1e12 ? formatDateTime(v * 1000) : formatDateTime(v); }

// A translated label, or the raw value when the dictionary has none.
function label(prefix, value) {
  const key = prefix + value;
  const text = t(key);
  return text === key ? value : text;
}

function stateBadge(state) {
  const kind = { pending: 'warn', approved: 'ok', relayed: 'ok', rejected: 'bad', expired: 'bad', withdrawn: 'neutral' }[state] || 'neutral';
  return badge(label('appr.state.', state), kind);
}

function undecided(item) {
  const decided = new Set();
  for (const d of item.decisions || []) {
    if (d.action !== 'approve' && d.action !== 'reject') continue;
    decided.add(d.on_behalf_of || d.approver);
  }
  return (item.approvers || []).filter((a) => !decided.has(a));
}

function decisionDialog(item, action, done) {
  const left = undecided(item);
  const as = h('select', { id: 'decision-as' }, left.map((a) => h('option', { value: a, text: a })));
  const reason = h('textarea', { id: 'decision-reason', rows: 3, maxlength: 1000,
    placeholder: t(action === 'reject' ? 'appr.reasonRequired' : 'appr.reasonOptional') });
  const error = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
  const confirm = h('button', { class: 'btn ' + (action === 'reject' ? 'btn-danger' : 'btn-primary'), id: 'decision-confirm', type: 'submit',
    text: t(action === 'reject' ? 'appr.reject' : 'appr.approve') });
  const dialog = h('dialog', { class: 'dialog' });
  const close = () => { dialog.close(); dialog.remove(); };
  const form = h('form', { method: 'dialog', onsubmit: async (ev) => {
    ev.preventDefault();
    if (action === 'reject' && !reason.value.trim()) { error.textContent = t('appr.reasonRequired'); error.hidden = false; return; }
    confirm.disabled = true;
    try {
      const r = await api(`/api/approvals/${encodeURIComponent(item.id)}/${action}`, { method: 'POST', body: { reason: reason.value, as: as.value } });
      close();
      done(r.message);
    } catch (e) {
      // Separation-of-duties refusals carry a code: say it in the console's language.
      // (Other coded errors, e.g. role_forbidden, come translated from api.js.)
      error.textContent = e.code && t('appr.refused.' + e.code) !== 'appr.refused.' + e.code ? t('appr.refused.' + e.code) : e.message;
      error.hidden = false;
      confirm.disabled = false;
    }
  } },
  h('h2', { text: t(action === 'reject' ? 'appr.rejectTitle' : 'appr.approveTitle') }),
  h('p', { class: 'strong', text: item.subject || t('msg.noSubject') }),
  h('label', { for: 'decision-as', text: t('appr.onBehalfOf') }), as,
  h('p', { class: 'muted small', text: t('appr.onBehalfHint') }),
  h('label', { for: 'decision-reason', text: t(action === 'reject' ? 'appr.reason' : 'appr.comment') }), reason, error,
  h('div', { class: 'form-actions' },
    h('button', { class: 'btn btn-ghost', type: 'button', text: t('common.cancel'), onclick: close }),
    confirm));
  dialog.append(form);
  document.body.append(dialog);
  dialog.showModal();
}

function decisionButtons(item, done) {
  if (!isAdmin() || item.state !== 'pending' || !undecided(item).length) return null;
  return [
    h('button', { class: 'btn btn-danger', 'data-action': 'reject', text: t('appr.reject'), onclick: () => decisionDialog(item, 'reject', done) }),
    h('button', { class: 'btn btn-primary', 'data-action': 'approve', text: t('appr.approve'), onclick: () => decisionDialog(item, 'approve', done) }),
  ];
}

function pendingCard(item, done) {
  return h('article', { class: 'card approval', 'data-id': item.id },
    h('div', { class: 'approval-head' },
      h('h3', { class: 'approval-subject' }, h('a', { href: '#/approvals/' + encodeURIComponent(item.id), text: item.subject || t('msg.noSubject') })),
      stateBadge(item.state || 'pending')),
    h('dl', { class: 'fields compact' },
      h('dt', { text: t('appr.sender') }), h('dd', { text: item.sender || item.user || '' }),
      h('dt', { text: t('appr.recipients') }), h('dd', { text: (item.recipients || []).join(', ') }),
      item.attachment_names && item.attachment_names.length ? [h('dt', { text: t('msg.attachments') }), h('dd', { text: item.attachment_names.join(', ') })] : null,
      h('dt', { text: t('appr.why') }), h('dd', { text: [item.rule, item.reason].filter(Boolean).join(' — ') }),
      h('dt', { text: t('appr.heldAt') }), h('dd', { text: when(item.held_at) }),
      item.expires_at ? [h('dt', { text: t('appr.expiresAt') }), h('dd', { text: when(item.expires_at) })] : null,
      h('dt', { text: t('appr.progress') }), h('dd', { text: t('appr.approvalsOf', { n: item.approvals || 0, q: item.quorum || 1 }) }),
      item.size ? [h('dt', { text: t('msg.size') }), h('dd', { text: formatBytes(item.size) })] : null),
    h('div', { class: 'approval-actions' },
      h('a', { class: 'btn btn-ghost', href: '#/message/' + encodeURIComponent(item.id), text: t('appr.view') }),
      decisionButtons(item, done)));
}

function decisionText(d) {
  const who = d.on_behalf_of ? `${d.approver} → ${d.on_behalf_of}` : d.approver;
  return `${who} (${label('appr.action.', d.action)}${d.reason ? ': ' + d.reason : ''})`;
}

function historyTable(items) {
  if (!items.length) return h('p', { class: 'muted', text: t('appr.noHistory') });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table responsive', id: 'approval-history' },
    h('thead', {}, h('tr', {}, ['appr.heldAt', 'appr.state', 'appr.sender', 'search.subject', 'appr.decidedBy'].map((k) => h('th', { text: t(k) })))),
    h('tbody', {}, items.map((i) => h('tr', { 'data-id': i.id },
      h('td', { class: 'nowrap', 'data-label': t('appr.heldAt'), text: when(i.held_at) }),
      h('td', { 'data-label': t('appr.state') }, stateBadge(i.state)),
      h('td', { 'data-label': t('appr.sender'), text: i.sender || i.user || '' }),
      h('td', { 'data-label': t('search.subject') }, h('a', { href: '#/approvals/' + encodeURIComponent(i.id), text: i.subject || t('msg.noSubject') })),
      h('td', { 'data-label': t('appr.decidedBy'), text: (i.decisions || []).filter((d) => d.action === 'approve' || d.action === 'reject').map(decisionText).join(', ') }))))));
}

function delegationsCard(delegations, done) {
  const approver = h('input', { id: 'proxy-approver', type: 'email', required: true, autocomplete: 'off' });
  const proxy = h('input', { id: 'proxy-proxy', type: 'email', required: true, autocomplete: 'off' });
  const until = h('input', { id: 'proxy-until', type: 'date' });
  const error = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
  async function send(body) {
    error.hidden = true;
    try {
      const r = await api('/api/approvals/delegate', { method: 'POST', body });
      done(r.message);
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    }
  }
  const list = delegations.length
    ? h('div', { class: 'table-wrap' }, h('table', { class: 'table responsive', id: 'delegations' },
      h('thead', {}, h('tr', {}, ['appr.approver', 'appr.proxy', 'appr.until', ''].map((k) => h('th', { text: k ? t(k) : '' })))),
      h('tbody', {}, delegations.map((d) => h('tr', {},
        h('td', { 'data-label': t('appr.approver'), text: d.approver }),
        h('td', { 'data-label': t('appr.proxy'), text: d.proxy }),
        h('td', { 'data-label': t('appr.until') }, d.until ? when(d.until) : t('appr.untilOpen'), d.active ? null : [' ', badge(t('appr.inactive'), 'neutral')]),
        h('td', {}, isAdmin() ? h('button', { class: 'btn btn-ghost', text: t('appr.clear'), onclick: () => send({ approver: d.approver, proxy: '' }) }) : null))))))
    : h('p', { class: 'muted', text: t('appr.noDelegations') });
  if (!isAdmin()) return card(t('appr.delegations'), list);
  const form = h('form', { class: 'toolbar', id: 'delegate-form', onsubmit: (ev) => {
    ev.preventDefault();
    send({ approver: approver.value.trim(), proxy: proxy.value.trim(), until: until.value });
  } },
  h('div', { class: 'field grow' }, h('label', { for: 'proxy-approver', text: t('appr.approver') }), approver),
  h('div', { class: 'field grow' }, h('label', { for: 'proxy-proxy', text: t('appr.proxy') }), proxy),
  h('div', { class: 'field' }, h('label', { for: 'proxy-until', text: t('appr.untilOptional') }), until),
  h('button', { class: 'btn', type: 'submit', text: t('appr.setProxy') }));
  return card(t('appr.delegations'), list, form, error);
}

function logCard() {
  const days = h('select', { id: 'approval-log-days', 'aria-label': t('appr.logDays') },
    LOG_DAYS.map((n) => h('option', { value: n, selected: n === 7, text: t('appr.days', { n }) })));
  const body = h('div', {}, loading());
  async function load() {
    clear(body).append(loading());
    try {
      const r = await api('/api/approvals/history?days=' + days.value);
      const events = r.events || [];
      append(clear(body), [!events.length ? h('p', { class: 'muted', text: t('appr.noEvents') })
        : h('div', { class: 'table-wrap' }, h('table', { class: 'table responsive', id: 'approval-log' },
          h('thead', {}, h('tr', {}, ['appr.col.time', 'appr.event', 'appr.id', 'appr.col.who', 'appr.col.via', 'appr.col.reason'].map((k) => h('th', { text: t(k) })))),
          h('tbody', {}, events.map((e) => h('tr', {},
            h('td', { class: 'nowrap', 'data-label': t('appr.col.time'), text: formatDateTime(e.time) }),
            h('td', { 'data-label': t('appr.event'), text: label('appr.action.', e.event) }),
            h('td', { class: 'mono', 'data-label': t('appr.id') }, e.id ? h('a', { href: '#/approvals/' + encodeURIComponent(e.id), text: e.id }) : ''),
            h('td', { 'data-label': t('appr.col.who'), text: [e.by, e.for ? '→ ' + e.for : ''].filter(Boolean).join(' ') }),
            h('td', { 'data-label': t('appr.col.via'), text: [e.via, e.ip].filter(Boolean).join(' ') }),
            h('td', { 'data-label': t('appr.col.reason'), text: e.reason || e.subject || '' })))))),
        r.truncated ? h('p', { class: 'muted small', text: t('appr.truncated') }) : null]);
    } catch (e) {
      clear(body).append(errorBox(e));
    }
  }
  days.addEventListener('change', load);
  load();
  return h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', { class: 'card-title', text: t('appr.log') }), days), body);
}

function renderList(main) {
  const notice = h('div', { id: 'approval-notice' });
  const body = h('div', { id: 'approvals' }, loading());
  main.append(pageHeader(t('nav.approvals'), h('button', { class: 'btn', text: t('common.refresh'), onclick: () => load() })));
  if (!isAdmin()) main.append(h('div', { class: 'alert alert-info', id: 'approvals-read-only', text: t('appr.readOnly') }));
  main.append(notice, body);
  const done = (message) => { append(clear(notice), [message ? infoBox(message) : null]); load(); };
  async function load() {
    let pendingData, allData;
    try {
      [pendingData, allData] = await Promise.all([api('/api/approvals?state=pending'), api('/api/approvals?state=all&limit=100')]);
    } catch (e) {
      clear(body).append(e.status === 404 ? infoBox(t('appr.disabled')) : errorBox(e));
      return;
    }
    const pending = pendingData.items || [];
    const decided = (allData.items || []).filter((i) => i.state !== 'pending');
    clear(body).append(
      h('h2', { class: 'section-title', text: t('appr.pending', { n: pending.length }) }),
      pending.length ? h('div', { class: 'approval-list' }, pending.map((i) => pendingCard(i, done)))
        : card(null, h('p', { class: 'empty', text: t('appr.nonePending') })),
      card(t('appr.history'), historyTable(decided)),
      delegationsCard(pendingData.delegations || [], done),
      logCard());
  }
  load();
}

function renderDetail(main, id) {
  const notice = h('div', { id: 'approval-notice' });
  const body = h('div', { id: 'approval-detail' }, loading());
  main.append(pageHeader(t('appr.detail'), h('a', { class: 'btn btn-ghost', href: '#/approvals', text: t('appr.back') })), notice, body);
  const done = (message) => { append(clear(notice), [message ? infoBox(message) : null]); load(); };
  async function load() {
    let item;
    try {
      item = await api('/api/approvals/' + encodeURIComponent(id));
    } catch (e) {
      clear(body).append(e.status === 404 && /not enabled/.test(e.message) ? infoBox(t('appr.disabled')) : errorBox(e));
      return;
    }
    const trail = item.decisions || [];
    clear(body).append(
      h('section', { class: 'card approval', 'data-id': item.id },
        h('div', { class: 'approval-head' }, h('h3', { class: 'approval-subject', text: item.subject || t('msg.noSubject') }), stateBadge(item.state)),
        fieldList([
          [t('appr.id'), item.id],
          [t('appr.sender'), item.sender],
          [t('appr.recipients'), item.recipients],
          [t('msg.attachments'), item.attachment_names],
          [t('msg.size'), item.size ? formatBytes(item.size) : ''],
          [t('appr.why'), [item.rule, item.reason].filter(Boolean).join(' — ')],
          [t('appr.approvers'), item.approvers],
          [t('appr.progress'), t('appr.approvalsOf', { n: item.approvals || 0, q: item.quorum || 1 })],
          [t('appr.heldAt'), when(item.held_at)],
          [t('appr.expiresAt'), item.expires_at ? when(item.expires_at) : ''],
          [t('appr.relayResult'), item.relay_result],
        ]),
        h('div', { class: 'approval-actions' },
          h('a', { class: 'btn btn-ghost', href: '#/message/' + encodeURIComponent(item.id), text: t('appr.view') }),
          decisionButtons(item, done))),
      card(t('appr.decidedBy'), !trail.length ? h('p', { class: 'muted', text: t('appr.noHistory') })
        : h('div', { class: 'table-wrap' }, h('table', { class: 'table responsive', id: 'decision-trail' },
          h('thead', {}, h('tr', {}, ['appr.col.time', 'appr.event', 'appr.col.who', 'appr.col.for', 'appr.col.via', 'appr.col.reason'].map((k) => h('th', { text: t(k) })))),
          h('tbody', {}, trail.map((d) => h('tr', {},
            h('td', { class: 'nowrap', 'data-label': t('appr.col.time'), text: when(d.at) }),
            h('td', { 'data-label': t('appr.event'), text: label('appr.action.', d.action) }),
            h('td', { 'data-label': t('appr.col.who'), text: d.approver }),
            h('td', { 'data-label': t('appr.col.for'), text: d.on_behalf_of || '' }),
            h('td', { 'data-label': t('appr.col.via'), text: [d.via, d.client_ip].filter(Boolean).join(' ') }),
            h('td', { 'data-label': t('appr.col.reason'), text: d.reason || '' }))))))));
  }
  load();
}

export function render(main, route) {
  const id = route && route.args && route.args[0];
  if (id) renderDetail(main, id);
  else renderList(main);
}
