// Charts drawn as inline SVG (no library): stacked bars over time, and
// horizontal bars per label. Sized by viewBox, so they scale with the card.
import { h, svg } from './dom.js';

// The axis top: 4 gridline steps of 1, 2 or 5 x 10^k, so every label is a whole number.
function niceMax(v) {
  const raw = Math.max(1, v / 4);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return 4 * m * p;
  return 40 * p;
}

// series: [{key, label, cls}], rows: [{label, values: {key: n}}]
export function stackedBars({ rows, series, ariaLabel, labelEvery = 1 }) {
  const W = 720, H = 240, left = 40, right = 8, top = 10, bottom = 28;
  const plotW = W - left - right, plotH = H - top - bottom;
  const totals = rows.map((r) => series.reduce((s, x) => s + (r.values[x.key] || 0), 0));
  const max = niceMax(Math.max(1, ...totals));
  const slot = plotW / Math.max(1, rows.length);
  const barW = Math.max(2, slot * 0.7);
  const g = [];
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    g.push(svg('line', { x1: left, x2: W - right, y1: y, y2: y, class: 'grid' }));
    g.push(svg('text', { x: left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end', text: String(Math.round((max * i) / 4)) }));
  }
  rows.forEach((r, i) => {
    let y = top + plotH;
    const x = left + i * slot + (slot - barW) / 2;
    const parts = [];
    for (const s of series) {
      const v = r.values[s.key] || 0;
      if (!v) continue;
      const bh = (plotH * v) / max;
      y -= bh;
      parts.push(svg('rect', { x, y, width: barW, height: bh, class: `bar ${s.cls}` }));
    }
    const tip = svg('title', { text: `${r.label}: ` + series.map((s) => `${s.label} ${r.values[s.key] || 0}`).join(', ') });
    g.push(svg('g', { class: 'bar-group' }, svg('rect', { x: left + i * slot, y: top, width: slot, height: plotH, class: 'hover' }), parts, tip));
    if (i % labelEvery === 0) {
      g.push(svg('text', { x: left + i * slot + slot / 2, y: H - 8, class: 'axis', 'text-anchor': 'middle', text: r.label }));
    }
  });
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': ariaLabel }, g);
  const legend = h('div', { class: 'legend' }, series.map((s) =>
    h('span', { class: 'legend-item' }, h('span', { class: `swatch ${s.cls}` }), s.label)));
  return h('div', { class: 'chart-wrap' }, chart, legend);
}

// items: [{label, value, note}]
export function horizontalBars({ items, ariaLabel }) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return h('div', { class: 'hbars', role: 'img', 'aria-label': ariaLabel }, items.map((i) => {
    const fill = h('div', { class: 'hbar-fill' });
    fill.style.width = `${Math.max(1, (100 * i.value) / max)}%`;  // CSSOM: allowed under the CSP
    return h('div', { class: 'hbar' },
      h('div', { class: 'hbar-label', title: i.label, text: i.label }),
      h('div', { class: 'hbar-track' }, fill),
      h('div', { class: 'hbar-value', text: i.note || String(i.value) }));
  }));
}
