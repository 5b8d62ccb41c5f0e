// Small shared pieces of the pages.
import { h } from './dom.js';
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
