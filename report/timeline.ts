import type { AttributionAnswer } from '../schemas/attribution.js';

/** How an interval's end is drawn: logged, inferred, or not yet there. */
export type EndStyle = 'logged' | 'inferred' | 'open';

export interface TimelineBar {
  kind: 'nat' | 'lease';
  label: string;
  detail: string;
  subscriberId: string;
  from: number;
  to: number;
  /** The start was not logged (only its end), or lies before the picture. */
  startUnknown: boolean;
  startInferred: boolean;
  endStyle: EndStyle;
  endBasis: string;
  clippedLeft: boolean;
  clippedRight: boolean;
}

export interface Timeline {
  from: number;
  to: number;
  /** The instants asked for: two when a local hour repeated. */
  instants: number[];
  windows: Array<[number, number]>;
  bars: TimelineBar[];
}

const LOGGED = new Set(['released', 'expired', 'stop']);
const HOUR = 3_600_000;
const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));

/**
 * The evidence of an answer as bars on one time axis, a few hours either side of the instants:
 * each allocation and lease once, clipped to the picture, with how its start and end are known.
 * Drawn by report/pdf.ts; the same data the report carries, nothing else.
 */
export function timelineOf(answer: AttributionAnswer, spanMs = 3 * HOUR): Timeline {
  const instants = answer.instants.map((i) => Date.parse(i.utc));
  const windows = answer.instants.map((i): [number, number] => [Date.parse(i.windowFrom), Date.parse(i.windowTo)]);
  const from = Math.min(...windows.map((w) => w[0])) - spanMs;
  const to = Math.max(...windows.map((w) => w[1])) + spanMs;
  const bars: TimelineBar[] = [];
  const seen = new Set<string>();
  const add = (kind: 'nat' | 'lease', id: string, subscriberId: string, label: string, detail: string, start: number | null, notBefore: number | null, end: number | null, endBasis: string, startInferred: boolean) => {
    if (seen.has(id)) return;
    seen.add(id);
    const s = start ?? notBefore ?? from;
    const e = end ?? to;
    bars.push({
      kind, label, detail, subscriberId,
      from: Math.max(from, s),
      to: Math.min(to, e),
      startUnknown: start === null,
      startInferred,
      endStyle: end === null ? 'open' : LOGGED.has(endBasis) ? 'logged' : 'inferred',
      endBasis,
      clippedLeft: s < from,
      clippedRight: e > to,
    });
  };
  for (const c of answer.candidates) {
    for (const ev of c.evidence) {
      const a = ev.allocation;
      if (a) {
        const ports = a.portStart === null ? 'all ports' : `ports ${a.portStart}-${a.portEnd}`;
        add('nat', a.id, c.subscriberId, `NAT ${a.natInstance}: ${a.privateIp}`, `${a.publicIp} ${ports}`, ms(a.start), ms(a.startNotBefore), ms(a.end), a.endBasis, a.startInferred);
      }
      const l = ev.lease;
      add('lease', l.id, c.subscriberId, `Lease ${l.subscriberId}`, `${l.ip}${l.vrf === 'default' ? '' : ` (${l.vrf})`}`, ms(l.start), ms(l.startNotBefore), ms(l.end), l.endBasis, false);
    }
  }
  return { from, to, instants, windows, bars };
}
