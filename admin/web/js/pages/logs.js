// Log viewer: GET /api/logs?kind=&lines=&contains=&date= (the last lines of a
// day's file). "Follow" re-reads every 5 s and keeps the view at the bottom.
import { api } from '../api.js';
import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { pageHeader, card, errorBox } from '../widgets.js';

const KINDS = ['system', 'connections', 'received', 'relayed', 'failed', 'pop3', 'transcript', 'approval', 'admin'];

export function render(main, route) {
  const q = route.query;
  const kind = h('select', { id: 'log-kind' }, KINDS.map((k) => h('option', { value: k, selected: (q.get('kind') || 'system') === k, text: t('logs.kind.' + k) })));
  const contains = h('input', { id: 'log-filter', type: 'search', placeholder: t('logs.filterHint'), value: q.get('contains') || '' });
  const date = h('input', { id: 'log-date', type: 'date', value: q.get('date') || '' });
  const lines = h('select', { id: 'log-lines' }, [100, 500, 2000].map((n) => h('option', { value: n, text: String(n) })));
  const follow = h('input', { id: 'log-follow', type: 'checkbox' });
  const output = h('pre', { class: 'log-view', id: 'log-view' });
  const status = h('span', { class: 'muted' });
  let timer = null;

  async function load() {
    const p = new URLSearchParams({ kind: kind.value, lines: lines.value });
    if (contains.value) p.set('contains', contains.value);
    if (date.value) p.set('date', date.value.replaceAll('-', ''));
    try {
      const r = await api('/api/logs?' + p.toString());
      const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
      output.textContent = r.lines.length ? r.lines.join('\n') : '';
      output.classList.toggle('empty-log', !r.lines.length);
      if (!r.lines.length) output.textContent = t('logs.none', { date: r.date });
      status.textContent = t('logs.shown', { n: r.lines.length, date: r.date });
      if (atBottom || !follow.checked) output.scrollTop = output.scrollHeight;
    } catch (e) {
      clear(output).append(errorBox(e));
    }
  }
  follow.addEventListener('change', () => {
    clearInterval(timer);
    timer = follow.checked ? setInterval(load, 5000) : null;
  });
  const form = h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); load(); } },
    h('div', { class: 'field' }, h('label', { for: 'log-kind', text: t('logs.kind') }), kind),
    h('div', { class: 'field grow' }, h('label', { for: 'log-filter', text: t('logs.filter') }), contains),
    h('div', { class: 'field' }, h('label', { for: 'log-date', text: t('logs.date') }), date),
    h('div', { class: 'field' }, h('label', { for: 'log-lines', text: t('logs.lines') }), lines),
    h('label', { class: 'check', for: 'log-follow' }, follow, t('logs.follow')),
    h('button', { class: 'btn btn-primary', type: 'submit', id: 'log-show', text: t('logs.show') }));
  kind.addEventListener('change', load);
  main.append(pageHeader(t('nav.logs')), card(null, form), h('section', { class: 'card card-flush' }, output, h('div', { class: 'pager' }, status)));
  load();
  return () => clearInterval(timer);
}
