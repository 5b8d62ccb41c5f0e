// Approval queue. API (written by the approval feature; 404 means it is not
// enabled in this daemon):
//   GET  /api/approvals                    -> {"pending":[...], "history":[...]} (or a bare list)
//   POST /api/approvals/{id}/approve|reject   {"reason": "..."}
// Items follow the hold queue's HeldMessage: id, state, user, sender,
// recipients, subject, attachment_names, size, rule, reason, approvers,
// quorum, decisions [{approver, decision, at, reason}], held_at, expires_at.
import { api } from '../api.js';
import { h, clear } from '../dom.js';
import { t, formatDateTime, formatBytes } from '../i18n.js';
import { pageHeader, card, errorBox, loading, badge, infoBox } from '../widgets.js';

// held_at / expires_at may come as Unix seconds or ISO text.
function when(v) { return typeof v === 'number' && v < 1e12 ? formatDateTime(v * 1000) : formatDateTime(v); }

function stateBadge(state) {
  const kind = { pending: 'warn', approved: 'ok', released: 'ok', rejected: 'bad', expired: 'bad' }[state] || 'neutral';
  return badge(t('appr.state.' + state) === 'appr.state.' + state ? state : t('appr.state.' + state), kind);
}

function decisionDialog(item, action, done) {
  const reason = h('textarea', { id: 'decision-reason', rows: 3, placeholder: t(action === 'reject' ? 'appr.reasonRequired' : 'appr.reasonOptional') });
  const error = h('div', { class: 'alert alert-error', hidden: true });
  const confirm = h('button', { class: 'btn ' + (action === 'reject' ? 'btn-danger' : 'btn-primary'), id: 'decision-confirm', type: 'submit',
    text: t(action === 'reject' ? 'appr.reject' : 'appr.approve') });
  const dialog = h('dialog', { class: 'dialog' });
  const form = h('form', { method: 'dialog', onsubmit: async (ev) => {
    ev.preventDefault();
    if (action === 'reject' && !reason.value.trim()) { error.textContent = t('appr.reasonRequired'); error.hidden = false; return; }
    confirm.disabled = true;
    try {
      await api(`/api/approvals/${encodeURIComponent(item.id)}/${action}`, { method: 'POST', body: { reason: reason.value } });
      dialog.close();
      dialog.remove();
      done();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      confirm.disabled = false;
    }
  } },
  h('h2', { text: t(action === 'reject' ? 'appr.rejectTitle' : 'appr.approveTitle') }),
  h('p', { class: 'strong', text: item.subject || t('msg.noSubject') }),
  h('label', { for: 'decision-reason', text: t('appr.reason') }), reason, error,
  h('div', { class: 'form-actions' },
    h('button', { class: 'btn btn-ghost', type: 'button', text: t('common.cancel'), onclick: () => { dialog.close(); dialog.remove(); } }),
    confirm));
  dialog.append(form);
  document.body.append(dialog);
  dialog.showModal();
}

function pendingCard(item, reload) {
  const decisions = item.decisions || [];
  return h('article', { class: 'card approval', 'data-id': item.id },
    h('div', { class: 'approval-head' },
      h('h3', { class: 'approval-subject', text: item.subject || t('msg.noSubject') }), stateBadge(item.state || 'pending')),
    h('dl', { class: 'fields compact' },
      h('dt', { text: t('appr.sender') }), h('dd', { text: item.sender || item.user || '' }),
      h('dt', { text: t('appr.recipients') }), h('dd', { text: (item.recipients || []).join(', ') }),
      item.attachment_names && item.attachment_names.length ? [h('dt', { text: t('msg.attachments') }), h('dd', { text: item.attachment_names.join(', ') })] : null,
      h('dt', { text: t('appr.why') }), h('dd', { text: [item.rule, item.reason].filter(Boolean).join(' — ') }),
      h('dt', { text: t('appr.heldAt') }), h('dd', { text: when(item.held_at) }),
      item.expires_at ? [h('dt', { text: t('appr.expiresAt') }), h('dd', { text: when(item.expires_at) })] : null,
      h('dt', { text: t('appr.progress') }), h('dd', { text: t('appr.approvalsOf', { n: decisions.filter((d) => d.decision === 'approve' || d.decision === 'approved').length, q: item.quorum || 1 }) }),
      item.size ? [h('dt', { text: t('msg.size') }), h('dd', { text: formatBytes(item.size) })] : null),
    h('div', { class: 'approval-actions' },
      h('a', { class: 'btn btn-ghost', href: '#/message/' + encodeURIComponent(item.id), text: t('appr.view') }),
      h('button', { class: 'btn btn-danger', 'data-action': 'reject', text: t('appr.reject'), onclick: () => decisionDialog(item, 'reject', reload) }),
      h('button', { class: 'btn btn-primary', 'data-action': 'approve', text: t('appr.approve'), onclick: () => decisionDialog(item, 'approve', reload) })));
}

function historyTable(items) {
  if (!items.length) return h('p', { class: 'muted', text: t('appr.noHistory') });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table responsive' },
    h('thead', {}, h('tr', {}, ['appr.heldAt', 'appr.state', 'appr.sender', 'search.subject', 'appr.decidedBy'].map((k) => h('th', { text: t(k) })))),
    h('tbody', {}, items.map((i) => h('tr', {},
      h('td', { class: 'nowrap', 'data-label': t('appr.heldAt'), text: when(i.held_at) }),
      h('td', { 'data-label': t('appr.state') }, stateBadge(i.state)),
      h('td', { 'data-label': t('appr.sender'), text: i.sender || i.user || '' }),
      h('td', { 'data-label': t('search.subject') }, h('a', { href: '#/message/' + encodeURIComponent(i.id), text: i.subject || t('msg.noSubject') })),
      h('td', { 'data-label': t('appr.decidedBy'), text: (i.decisions || []).map((d) => `${d.approver} (${d.decision}${d.reason ? ': ' + d.reason : ''})`).join(', ') }))))));
}

export function render(main) {
  const body = h('div', { id: 'approvals' }, loading());
  main.append(pageHeader(t('nav.approvals'), h('button', { class: 'btn', text: t('common.refresh'), onclick: () => load() })), body);
  async function load() {
    let data;
    try {
      data = await api('/api/approvals');
    } catch (e) {
      clear(body).append(e.status === 404 ? infoBox(t('appr.disabled')) : errorBox(e));
      return;
    }
    const all = Array.isArray(data) ? data : data.pending || data.approvals || data.items || [];
    const pending = all.filter((i) => !i.state || i.state === 'pending');
    const history = (Array.isArray(data) ? [] : data.history || []).concat(all.filter((i) => i.state && i.state !== 'pending'));
    clear(body).append(
      h('h2', { class: 'section-title', text: t('appr.pending', { n: pending.length }) }),
      pending.length ? h('div', { class: 'approval-list' }, pending.map((i) => pendingCard(i, load)))
        : card(null, h('p', { class: 'empty', text: t('appr.nonePending') })),
      card(t('appr.history'), historyTable(history)));
  }
  load();
}
