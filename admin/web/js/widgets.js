// Small shared pieces of the pages.
import { h, svg } from './dom.js';
import { t, language, setLanguage, LANGUAGES } from './i18n.js';

export function languageSwitch() {
  return h('select', { class: 'lang-switch', 'aria-label': 'Language / 言語', id: 'lang-switch',
    onchange: (e) => setLanguage(e.target.value) },
  LANGUAGES.map(([code, name]) => h('option', { value: code, selected: code === language() }, name)));
}

export function pageHeader(title, ...actions) {
  return h('div', { class: 'page-header' }, h('h1', { text: title }), h('div', { class: 'page-actions' }, actions));
}

export function card(title, ...body) {
  return h('section', { class: 'card' }, title ? h('h2', { class: 'card-title', text: title }) : null, body);
}

export function errorBox(error) {
  return h('div', { class: 'alert alert-error', role: 'alert', text: error.message || String(error) });
}

export function infoBox(text) {
  return h('div', { class: 'alert alert-info', text });
}

export function loading() {
  return h('div', { class: 'loading', text: t('common.loading') });
}

export function badge(text, kind) {
  return h('span', { class: `badge badge-${kind || 'neutral'}`, text });
}

// A definition list from [label, value] pairs; empty values are left out.
export function fieldList(pairs) {
  return h('dl', { class: 'fields' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '' &&
    !(Array.isArray(v) && v.length === 0)).map(([k, v]) => [
    h('dt', { text: k }),
    h('dd', {}, v instanceof Node ? v : Array.isArray(v) ? v.join(', ') : String(v)),
  ]));
}

// A paperclip drawn in SVG (an emoji would depend on the machine's fonts).
export function clipIcon() {
  return svg('svg', { viewBox: '0 0 16 16', width: 14, height: 14, class: 'icon', 'aria-hidden': 'true' },
    svg('path', { d: 'M10.5 4.5 5.8 9.2a1.5 1.5 0 0 0 2.1 2.1l5-5a3 3 0 0 0-4.2-4.2l-5.2 5.2a4.5 4.5 0 0 0 6.4 6.4l4.4-4.4',
      fill: 'none', stroke: 'currentColor', 'stroke-width': 1.4, 'stroke-linecap': 'round' }));
}
