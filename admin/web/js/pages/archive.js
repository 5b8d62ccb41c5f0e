// Archive search: GET /api/archive/search with the form's fields; the query
// lives in the URL hash (#/archive?user=...) so Back and reload keep it.
// Paging: "next" follows next_cursor; "previous" pops the cursors seen.
import { api } from '../api.js';
import { h, clear } from '../dom.js';
import { t, formatDateTime, formatBytes } from '../i18n.js';
import { pageHeader, card, errorBox, loading, badge, clipIcon } from '../widgets.js';

const FIELDS = ['user', 'from', 'to', 'subject', 'since', 'until', 'direction', 'attachment'];
const PAGE_SIZE = 50;

function first(list) { return (list && list[0]) || ''; }

function resultRow(m) {
  const open = () => { location.hash = '#/message/' + encodeURIComponent(m.id); };
  const subject = h('a', { href: '#/message/' + encodeURIComponent(m.id), class: 'subject-link', text: m.subject || t('msg.noSubject') });
  return h('tr', { class: 'clickable', onclick: (e) => { if (e.target.tagName !== 'A') open(); } },
    h('td', { class: 'nowrap', 'data-label': t('search.received'), text: formatDateTime(m.received_at) }),
    h('td', { 'data-label': t('search.direction') }, badge(t('dir.' + m.direction), m.direction === 'sent' ? 'sent' : 'received')),
    h('td', { 'data-label': t('search.user'), text: m.user }),
    h('td', { class: 'ellipsis', 'data-label': t('search.from'), text: first(m.from) || m.envelope_from }),
    h('td', { class: 'ellipsis', 'data-label': t('search.to'), text: (m.to && m.to.length ? m.to : m.envelope_to || []).join(', ') }),
    h('td', { class: 'subject', 'data-label': t('search.subject') }, subject,
      m.attachments ? h('span', { class: 'clip', title: t('search.attachmentsN', { n: m.attachments }) }, clipIcon(), String(m.attachments)) : null),
    h('td', { class: 'num nowrap', 'data-label': t('search.size'), text: formatBytes(m.size) }));
}

export function render(main, route) {
  const q = route.query;
  const inputs = {};
  const text = (name, type = 'text', placeholder = '') => {
    inputs[name] = h('input', { id: 'q-' + name, name, type, value: q.get(name) || '', placeholder });
    return h('div', { class: 'field' }, h('label', { for: 'q-' + name, text: t('search.' + name) }), inputs[name]);
  };
  const select = (name, options) => {
    inputs[name] = h('select', { id: 'q-' + name, name },
      options.map(([v, label]) => h('option', { value: v, selected: (q.get(name) || '') === v, text: label })));
    return h('div', { class: 'field' }, h('label', { for: 'q-' + name, text: t('search.' + name) }), inputs[name]);
  };
  const form = h('form', { class: 'search-form', id: 'search-form', onsubmit: (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const f of FIELDS) if (inputs[f].value) p.set(f, inputs[f].value);
    const target = '#/archive?' + p.toString();
    if (location.hash === target) search(); else location.hash = target;
  } },
  h('div', { class: 'form-grid' },
    text('user', 'text', 'alice@company.example'), text('from', 'text', t('search.addrHint')), text('to', 'text', t('search.addrHint')),
    text('subject', 'text', t('search.subjectHint')), text('since', 'date'), text('until', 'date'),
    select('direction', [['', t('search.any')], ['sent', t('dir.sent')], ['received', t('dir.received')]]),
    select('attachment', [['', t('search.any')], ['yes', t('search.withAtt')], ['no', t('search.withoutAtt')]])),
  h('div', { class: 'form-actions' },
    h('button', { type: 'submit', class: 'btn btn-primary', id: 'search-submit', text: t('search.submit') }),
    h('button', { type: 'button', class: 'btn btn-ghost', text: t('search.reset'), onclick: () => { location.hash = '#/archive'; } })));

  const results = h('div', { id: 'search-results' });
  main.append(pageHeader(t('nav.archive')), card(null, form), results);

  const stack = [''];  // the cursor of every page up to the one shown
  async function search() {
    const cursor = stack[stack.length - 1];
    const p = new URLSearchParams();
    for (const f of FIELDS) {
      const v = q.get(f);
      if (!v) continue;
      // the form's range is inclusive: until=2026-11-24 means up to the end of that day
      if (f === 'until') p.set(f, new Date(Date.parse(v + 'T00:00:00Z') + 86400000).toISOString().slice(0, 10));
      else p.set(f, v);
    }
    p.set('limit', PAGE_SIZE);
    if (cursor) p.set('cursor', cursor);
    clear(results).append(loading());
    try {
      const r = await api('/api/archive/search?' + p.toString());
      const pageNo = stack.length;
      if (!r.messages.length) {
        clear(results).append(card(null, h('p', { class: 'empty', text: t('search.none') })));
        return;
      }
      const prev = h('button', { class: 'btn', id: 'search-prev', disabled: pageNo <= 1, text: t('search.prev'),
        onclick: () => { stack.pop(); search(); } });
      const next = h('button', { class: 'btn', id: 'search-next', disabled: !r.next_cursor, text: t('search.next'),
        onclick: () => { stack.push(r.next_cursor); search(); } });
      clear(results).append(h('section', { class: 'card card-flush' },
        h('div', { class: 'table-wrap' }, h('table', { class: 'table table-results responsive' },
          h('thead', {}, h('tr', {}, ['received', 'direction', 'user', 'from', 'to', 'subject', 'size'].map((k) =>
            h('th', { class: k === 'size' ? 'num' : '', text: t('search.' + k) })))),
          h('tbody', {}, r.messages.map(resultRow)))),
        h('div', { class: 'pager' },
          h('span', { class: 'muted', text: t('search.page', { n: pageNo, count: r.messages.length }) }),
          h('div', { class: 'pager-buttons' }, prev, next))));
    } catch (e) {
      // A refused query carries a code: say why in the console's language.
      const key = 'search.refused.' + e.code;
      clear(results).append(errorBox(e.code && t(key) !== key ? { message: t(key) } : e));
    }
  }
  search();
}
