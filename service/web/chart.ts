import type { Corroboration } from '../../bulk/summary.js';
import { html, type Html } from './html.js';

const W = 1000;
const LABEL_W = 220;
const ROW_H = 24;
const TOP = 20;

/**
 * Hits per subscriber over time: one row per subscriber (most unique rows first), a bar from
 * the first to the last instant that named them, and the counts beside it. A subscriber named
 * by many rows over a long stretch is corroborated; one hit is only one hit.
 */
export function corroborationSvg(rows: Corroboration[], limit = 20): Html {
  const shown = rows.slice(0, limit);
  if (shown.length === 0) return html`<p>No subscriber was named.</p>`;
  const times = shown.flatMap((r) => [Date.parse(r.first), Date.parse(r.last)]);
  let lo = Math.min(...times);
  let hi = Math.max(...times);
  if (hi - lo < 60_000) {
    lo -= 30 * 60_000;
    hi += 30 * 60_000;
  }
  const x0 = LABEL_W;
  const x1 = W - 150;
  const x = (t: number) => x0 + ((t - lo) / (hi - lo)) * (x1 - x0);
  const height = TOP + shown.length * ROW_H + 30;
  const bars = shown.map((r, i) => {
    const y = TOP + i * ROW_H;
    const a = x(Date.parse(r.first));
    const b = x(Date.parse(r.last));
    return html`<g class="subscriber" data-subscriber="${r.subscriberId}"><text x="${x0 - 8}" y="${y + 15}" text-anchor="end" font-size="12" fill="#111">${r.subscriberId}</text><rect x="${a}" y="${y + 5}" width="${Math.max(4, b - a)}" height="12" fill="#1f4f8f"/><text x="${x1 + 10}" y="${y + 15}" font-size="12" fill="#111">${r.uniqueRows} unique, ${r.candidateRows} candidate</text><title>${r.subscriberId}: ${r.uniqueRows} unique rows, ${r.candidateRows} as a candidate, ${r.first} to ${r.last}</title></g>`;
  });
  const axisY = TOP + shown.length * ROW_H + 16;
  return html`<svg class="corroboration" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="Rows per subscriber over time" font-family="sans-serif">
<rect x="${x0}" y="${TOP}" width="${x1 - x0}" height="${shown.length * ROW_H}" fill="#fafafa" stroke="#999"/>
${bars}
<text x="${x0}" y="${axisY}" font-size="12" fill="#333">${new Date(lo).toISOString()}</text>
<text x="${x1}" y="${axisY}" font-size="12" text-anchor="end" fill="#333">${new Date(hi).toISOString()}</text>
</svg>`;
}
