// One archived message: the report's fields, attachments (download links:
// GET /api/archive/{id}/part/{n}?download=1, Content-Disposition: attachment)
// and a safe body viewer. Text parts are fetched and shown as text; an HTML
// part is shown in <iframe sandbox=""> whose document the server sends with
// a CSP that sandboxes it and forbids every load (scripts, remote images).
import { api } from '../api.js';
import { h, clear } from '../dom.js';
import { t, formatDateTime, formatBytes } from '../i18n.js';
import { pageHeader, card, errorBox, loading, badge, fieldList, clipIcon } from '../widgets.js';

function partUrl(id, n, download) {
  return `/api/archive/${encodeURIComponent(id)}/part/${n}${download ? '?download=1' : ''}`;
}

function bodyViewer(id, parts) {
  const viewable = parts.filter((p) => p.view);
  if (!viewable.length) return h('p', { class: 'muted', text: t('msg.noBody') });
  const frameBox = h('div', { class: 'body-box' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  async function show(part) {
    for (const b of tabs.children) b.classList.toggle('active', b.dataset.index === String(part.index));
    clear(frameBox);
    if (part.view === 'html') {
      // sandbox="" : no scripts, no same-origin, no forms, no navigation of the console
      frameBox.append(h('iframe', { class: 'html-frame', id: 'html-frame', sandbox: '', referrerpolicy: 'no-referrer',
        title: t('msg.htmlBody'), src: partUrl(id, part.index) }));
      frameBox.append(h('p', { class: 'muted small', text: t('msg.htmlNote') }));
    } else {
      frameBox.append(loading());
      try {
        const text = await api(partUrl(id, part.index));
        clear(frameBox).append(h('pre', { class: 'text-body', id: 'text-body', text }));
      } catch (e) {
        clear(frameBox).append(errorBox(e));
      }
    }
  }
  for (const p of viewable) {
    tabs.append(h('button', { class: 'tab', role: 'tab', type: 'button', 'data-index': p.index, 'data-view': p.view,
      text: p.view === 'html' ? t('msg.tabHtml') : t('msg.tabText'), onclick: () => show(p) }));
  }
  show(viewable.find((p) => p.view === 'html') || viewable[0]);
  return h('div', { class: 'body-viewer' }, viewable.length > 1 ? tabs : null, frameBox);
}

function attachmentList(id, parts) {
  const list = parts.filter((p) => p.attachment || !p.view);
  if (!list.length) return h('p', { class: 'muted', text: t('msg.noAttachments') });
  return h('ul', { class: 'attachments' }, list.map((p) => h('li', {},
    h('a', { href: partUrl(id, p.index, true), download: p.name || '', class: 'attachment-link' },
      h('span', { class: 'att-icon' }, clipIcon()),
      h('span', { class: 'att-name', text: p.name || t('msg.unnamed', { n: p.index + 1 }) })),
    h('span', { class: 'muted', text: ` ${p.type} · ${formatBytes(p.size)}` }))));
}

export function render(main, route) {
  const id = route.args[0] || '';
  const back = h('a', { class: 'btn btn-ghost', href: '#/archive', text: '← ' + t('msg.back'),
    onclick: (e) => { if (history.length > 1) { e.preventDefault(); history.back(); } } });
  const eml = h('a', { class: 'btn', id: 'download-eml', href: `/api/archive/${encodeURIComponent(id)}/eml`, text: t('msg.downloadEml') });
  const body = h('div', {}, loading());
  main.append(pageHeader(t('msg.title'), back, eml), body);
  (async () => {
    let data;
    try {
      data = await api('/api/archive/' + encodeURIComponent(id));
    } catch (e) {
      clear(body).append(errorBox(e));
      return;
    }
    const rec = data.record || {};
    const rep = data.report || {};
    const dir = rep.direction || rec.direction;
    const summary = h('section', { class: 'card message-head' },
      h('h2', { class: 'message-subject', id: 'message-subject', text: rep.subject || rec.subject || t('msg.noSubject') }),
      h('div', { class: 'message-meta' }, badge(t('dir.' + dir), dir === 'sent' ? 'sent' : 'received'),
        badge(String(rep.protocol || rec.protocol || '').toUpperCase(), 'neutral'),
        rep.outcome || rec.outcome ? badge(rep.outcome || rec.outcome, (rep.outcome || rec.outcome) === 'refused' ? 'bad' : 'ok') : null),
      fieldList([
        [t('msg.from'), rep.from || rec.from], [t('msg.to'), rep.to || rec.to], [t('msg.cc'), rep.cc || rec.cc],
        [t('msg.bcc'), rep.bcc], [t('msg.date'), rep.date], [t('msg.received'), formatDateTime(rep.received_at || rec.received_at)],
      ]));
    const details = card(t('msg.details'), fieldList([
      [t('msg.user'), rep.user || rec.user], [t('msg.envelopeFrom'), rep.envelope_from || rec.envelope_from],
      [t('msg.envelopeTo'), rep.envelope_to || rec.envelope_to], [t('msg.listener'), rep.listener],
      [t('msg.clientIp'), rep.client_ip], [t('msg.relayedAt'), formatDateTime(rep.relayed_at)],
      [t('msg.outcomeReply'), rep.outcome_reply], [t('msg.messageId'), rep.message_id || rec.message_id],
      [t('msg.size'), formatBytes(rep.size || rec.size)], [t('msg.sha256'), h('code', { class: 'break', text: rep.sha256 || rec.sha256 || '' })],
      [t('msg.archiveId'), h('code', { class: 'break', text: rec.id || id })],
      [t('msg.retrievals'), (rep.retrievals || []).map((r) => `${formatDateTime(r.at)} (${r.client_ip})`)],
    ]), data.report_error ? errorBox(new Error(data.report_error)) : null);
    const attachments = h('div', {}, loading());
    const viewer = h('div', {}, loading());
    clear(body).append(summary, h('div', { class: 'grid-msg' },
      h('div', {}, card(t('msg.body'), viewer)),
      h('div', {}, card(t('msg.attachments'), attachments), details)));
    if (!rec.has_eml) {
      clear(viewer).append(h('p', { class: 'muted', text: t('msg.noStoredBody') }));
      clear(attachments);
      eml.hidden = true;
      return;
    }
    try {
      const p = await api(`/api/archive/${encodeURIComponent(id)}/parts`);
      clear(viewer).append(bodyViewer(id, p.parts));
      clear(attachments).append(attachmentList(id, p.parts));
    } catch (e) {
      clear(viewer).append(errorBox(e));
      clear(attachments);
    }
  })();
}
