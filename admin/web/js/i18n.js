// UI strings in English and Japanese. The language comes from localStorage
// (the visible switch) or else navigator.language; t(key, {var}) fills {var}.
import { DICTIONARIES } from './strings.js';

const STORAGE_KEY = 'mailtee.lang';
let lang = pickLanguage();
const listeners = [];

function pickLanguage() {
  let saved = null;
  try { saved = localStorage.getItem(STORAGE_KEY); } catch (e) { /* storage off: follow the browser */ }
  if (saved && DICTIONARIES[saved]) return saved;
  const nav = (navigator.language || 'en').toLowerCase();
  return nav.startsWith('ja') ? 'ja' : 'en';
}

export function language() { return lang; }
export const LANGUAGES = [['en', 'English'], ['ja', '日本語']];

export function setLanguage(next) {
  if (!DICTIONARIES[next] || next === lang) return;
  lang = next;
  try { localStorage.setItem(STORAGE_KEY, next); } catch (e) { /* not remembered */ }
  document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLanguageChange(fn) { listeners.push(fn); }

export function t(key, vars) {
  let s = DICTIONARIES[lang][key];
  if (s === undefined) s = DICTIONARIES.en[key];
  if (s === undefined) return key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (vars[name] !== undefined ? String(vars[name]) : m));
  return s;
}

// Dates and numbers in the chosen language, the browser's time zone.
export function formatDateTime(value) {
  if (value === undefined || value === null || value === '') return '';
  const d = typeof value === 'number' ? new Date(value) : new Date(value);
  if (isNaN(d.getTime())) return String(value);
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(d);
}

export function formatHour(value) {
  const d = new Date(value);
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { hour: '2-digit', minute: '2-digit' }).format(d);
}

export function formatBytes(n) {
  if (n === undefined || n === null) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatNumber(n) {
  return new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-US').format(n || 0);
}

export function formatDuration(seconds) {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return t('duration.dh', { d, h });
  if (h > 0) return t('duration.hm', { h, m });
  return t('duration.m', { m });
}
