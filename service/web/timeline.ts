import { DateTime } from 'luxon';
import type { AttributionAnswer } from '../../schemas/attribution.js';
import { END_TEXT } from './explain.js';
import { html, type Html } from './html.js';

/** Hours drawn either side of the instant(s) asked. */
export const SPAN_HOURS = 3;

interface Row {
  kind: 'allocation' | 'lease';
  id: string;
  label: string;
  start: number | null;
  notBefore: number | null;
  end: number | null;
  endBasis: string;
}

const W = 1000;
const LABEL_W = 280;
const X0 = LABEL_W;
const X1 = W - 20;
const TOP = 44;
const ROW_H = 30;
const BAR_H = 14;
const COLOR = { allocation: '#1f4f8f', lease: '#2b6b2f' } as const;
const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));

/** The evidence records of an answer, once each: the port-block allocations, then the leases. */
export function timelineRows(a: AttributionAnswer): Row[] {
  const rows = new Map<string, Row>();
  for (const c of a.candidates) {
    for (const e of c.evidence) {
      const al = e.allocation;
      if (al && !rows.has(al.id)) {
        const ports = al.portStart === null ? 'all ports' : `ports ${al.portStart}–${al.portEnd}`;
        rows.set(al.id, { kind: 'allocation', id: al.id, label: `${al.natInstance} ${ports} → ${al.privateIp}`, start: ms(al.start), notBefore: ms(al.startNotBefore), end: ms(al.end), endBasis: al.endBasis });
      }
    }
  }
  for (const c of a.candidates) {
    for (const e of c.evidence) {
      const l = e.lease;
      if (!rows.has(l.id)) rows.set(l.id, { kind: 'lease', id: l.id, label: `lease ${l.ip} → ${l.subscriberId}`, start: ms(l.start), notBefore: ms(l.startNotBefore), end: ms(l.end), endBasis: l.endBasis });
    }
  }
  return [...rows.values()].sort((x, y) => (x.kind === y.kind ? 0 : x.kind === 'allocation' ? -1 : 1));
}

const OBSERVED_END = new Set(['released', 'expired', 'stop']);

/**
 * The evidence timeline: each allocation and lease of the answer as a bar over the hours around
 * the instant, the tolerance window shaded, every instant asked marked (both of a repeated local
 * hour), and each end drawn by how it is known: a logged end as a solid cap, a superseded end as
 * a hollow diamond, a scheduled (inferred) end as a hatched bar with a ring, an open one as an
 * arrow running off the edge. Presentation attributes only: the page's CSP allows no inline style.
 */
export function timelineSvg(a: AttributionAnswer): Html {
  const instants = a.instants.map((i) => Date.parse(i.utc));
  const lo = Math.min(...instants) - SPAN_HOURS * 3600_000;
  const hi = Math.max(...instants) + SPAN_HOURS * 3600_000;
  const x = (t: number) => X0 + ((Math.min(hi, Math.max(lo, t)) - lo) / (hi - lo)) * (X1 - X0);
  const rows = timelineRows(a);
  const height = TOP + Math.max(1, rows.length) * ROW_H + 70;
  const plotBottom = TOP + Math.max(1, rows.length) * ROW_H;
  const zone = a.query.tz ?? 'UTC';

  const ticks: Html[] = [];
  for (let t = Math.ceil(lo / 3600_000) * 3600_000; t <= hi; t += 3600_000) {
    const label = DateTime.fromMillis(t, { zone }).toFormat('HH:mm');
    ticks.push(html`<g class="tick"><line x1="${x(t)}" y1="${TOP - 6}" x2="${x(t)}" y2="${plotBottom}" stroke="#c8c8c8" stroke-width="1"/><text x="${x(t)}" y="${plotBottom + 16}" text-anchor="middle" font-size="12" fill="#333">${label}</text></g>`);
  }

  const windows = a.instants.map((i) => {
    const from = x(Date.parse(i.windowFrom));
    const to = x(Date.parse(i.windowTo));
    const w = Math.max(10, to - from);
    return html`<rect class="tolerance" x="${(from + to) / 2 - w / 2}" y="${TOP - 6}" width="${w}" height="${plotBottom - TOP + 6}" fill="#f2c230" fill-opacity="0.45"><title>tolerance window ${i.windowFrom} to ${i.windowTo}</title></rect>`;
  });

  const repeated = a.instants.length > 1;
  const marks = a.instants.map((i, n) => {
    const at = x(Date.parse(i.utc));
    const local = DateTime.fromISO(i.utc, { zone });
    const label = `${repeated ? (n === 0 ? '1st ' : '2nd ') : ''}${local.toFormat('HH:mm:ss')} ${local.toFormat('ZZ')}`;
    const anchor = repeated ? (n === 0 ? 'end' : 'start') : 'middle';
    const dx = repeated ? (n === 0 ? -4 : 4) : 0;
    return html`<g class="instant" data-utc="${i.utc}"><line x1="${at}" y1="${TOP - 14}" x2="${at}" y2="${plotBottom}" stroke="#b00020" stroke-width="2"/><text x="${at + dx}" y="${TOP - 18}" text-anchor="${anchor}" font-size="12" font-weight="bold" fill="#b00020">${label}</text><title>asked: ${i.local} (${i.utc})</title></g>`;
  });

  const bars = rows.map((r, n) => {
    const y = TOP + n * ROW_H + (ROW_H - BAR_H) / 2;
    const color = COLOR[r.kind];
    const startKnown = r.start !== null;
    const from = r.start ?? r.notBefore ?? lo;
    const to = r.end ?? hi;
    const bx = x(from);
    const ex = x(to);
    const width = Math.max(2, ex - bx);
    const clippedLeft = from < lo;
    const open = r.end === null;
    const parts: Html[] = [];
    const fill = r.endBasis === 'scheduled' ? `url(#hatch-${r.kind})` : color;
    if (startKnown) parts.push(html`<rect x="${bx}" y="${y}" width="${width}" height="${BAR_H}" fill="${fill}" stroke="${color}"/>`);
    else parts.push(html`<rect class="unknown-start" x="${bx}" y="${y}" width="${width}" height="${BAR_H}" fill="#ffffff" stroke="${color}" stroke-dasharray="4 3"/>`);
    if (clippedLeft) parts.push(html`<path d="M ${X0 + 8} ${y} L ${X0} ${y + BAR_H / 2} L ${X0 + 8} ${y + BAR_H}" fill="none" stroke="${color}" stroke-width="2"/>`);
    if (open) {
      parts.push(html`<path class="end-open" d="M ${X1} ${y - 3} L ${X1 + 10} ${y + BAR_H / 2} L ${X1} ${y + BAR_H + 3} Z" fill="${color}"/>`);
    } else if (to <= hi) {
      if (OBSERVED_END.has(r.endBasis)) {
        parts.push(html`<line class="end-observed" x1="${ex}" y1="${y - 5}" x2="${ex}" y2="${y + BAR_H + 5}" stroke="#000" stroke-width="3"/>`);
      } else if (r.endBasis === 'superseded') {
        parts.push(html`<path class="end-superseded" d="M ${ex} ${y - 4} L ${ex + 7} ${y + BAR_H / 2} L ${ex} ${y + BAR_H + 4} L ${ex - 7} ${y + BAR_H / 2} Z" fill="#ffffff" stroke="#000" stroke-width="2"/>`);
      } else {
        parts.push(html`<circle class="end-inferred" cx="${ex}" cy="${y + BAR_H / 2}" r="6" fill="#ffffff" stroke="#000" stroke-width="2"/>`);
      }
    } else {
      parts.push(html`<path d="M ${X1 - 8} ${y} L ${X1} ${y + BAR_H / 2} L ${X1 - 8} ${y + BAR_H}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    const when = `${r.start === null ? `start unknown${r.notBefore === null ? '' : `, not before ${new Date(r.notBefore).toISOString()}`}` : new Date(r.start).toISOString()} – ${r.end === null ? 'open' : new Date(r.end).toISOString()}`;
    return html`<g class="interval" data-kind="${r.kind}" data-end-basis="${r.endBasis}" data-id="${r.id}"><text x="${LABEL_W - 10}" y="${y + BAR_H - 2}" text-anchor="end" font-size="12" fill="#111">${r.label}</text>${parts}<title>${r.kind} ${r.label}: ${when}; end: ${END_TEXT[r.endBasis] ?? r.endBasis}</title></g>`;
  });

  const empty = rows.length === 0 ? html`<text x="${(X0 + X1) / 2}" y="${TOP + ROW_H / 2 + 4}" text-anchor="middle" font-size="13" fill="#333">no allocation or lease covers the window</text>` : '';
  const ly = plotBottom + 40;
  const legend = html`<g class="legend" font-size="12" fill="#111">
<rect x="${X0}" y="${ly}" width="18" height="10" fill="${COLOR.allocation}"/><text x="${X0 + 24}" y="${ly + 9}">allocation</text>
<rect x="${X0 + 100}" y="${ly}" width="18" height="10" fill="${COLOR.lease}"/><text x="${X0 + 124}" y="${ly + 9}">lease</text>
<line x1="${X0 + 185}" y1="${ly - 3}" x2="${X0 + 185}" y2="${ly + 13}" stroke="#000" stroke-width="3"/><text x="${X0 + 193}" y="${ly + 9}">end logged</text>
<path d="M ${X0 + 285} ${ly - 3} L ${X0 + 292} ${ly + 5} L ${X0 + 285} ${ly + 13} L ${X0 + 278} ${ly + 5} Z" fill="#fff" stroke="#000" stroke-width="2"/><text x="${X0 + 298}" y="${ly + 9}">superseded</text>
<circle cx="${X0 + 392}" cy="${ly + 5}" r="6" fill="#fff" stroke="#000" stroke-width="2"/><text x="${X0 + 402}" y="${ly + 9}">expiry inferred</text>
<path d="M ${X0 + 500} ${ly - 3} L ${X0 + 510} ${ly + 5} L ${X0 + 500} ${ly + 13} Z" fill="#333"/><text x="${X0 + 516}" y="${ly + 9}">still open</text>
<rect x="${X0 + 590}" y="${ly - 2}" width="10" height="14" fill="#f2c230" fill-opacity="0.45"/><text x="${X0 + 606}" y="${ly + 9}">tolerance</text>
</g>`;
  const desc = `${rows.length} evidence records from ${new Date(lo).toISOString()} to ${new Date(hi).toISOString()}; ${a.instants.length === 2 ? 'both instants of the repeated local hour are marked' : 'the instant asked is marked'}`;
  return html`<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-labelledby="tl-title tl-desc" font-family="sans-serif">
<title id="tl-title">Evidence timeline, times in ${zone}</title><desc id="tl-desc">${desc}</desc>
<defs>
<pattern id="hatch-allocation" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#dbe6f4"/><line x1="0" y1="0" x2="0" y2="6" stroke="${COLOR.allocation}" stroke-width="3"/></pattern>
<pattern id="hatch-lease" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#dcefdc"/><line x1="0" y1="0" x2="0" y2="6" stroke="${COLOR.lease}" stroke-width="3"/></pattern>
</defs>
<rect x="${X0}" y="${TOP - 6}" width="${X1 - X0}" height="${plotBottom - TOP + 6}" fill="#fafafa" stroke="#999"/>
${ticks}${windows}${bars}${empty}${marks}${legend}
</svg>`;
}
