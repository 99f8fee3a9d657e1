import { suggestFormat } from '../parse/registry.js';

/**
 * The counts of one input read into the store, kept in one place so the per-file line, the
 * total and anything exported from them cannot disagree: `rejected` is always `unreadable`
 * (the parser or the capture reader refused a line or record) plus `refused` (the store
 * refused an event), and a skip always keeps its reason.
 */
export interface InputCounts {
  /** Lines read (for a capture: UDP datagrams handed to the decoder). */
  lines: number;
  events: number;
  stored: number;
  unreadable: number;
  refused: number;
  skipped: number;
}

export const zeroInputCounts = (): InputCounts => ({ lines: 0, events: 0, stored: 0, unreadable: 0, refused: 0, skipped: 0 });

export const rejectedOf = (c: InputCounts) => c.unreadable + c.refused;

export function addCounts(into: InputCounts, c: InputCounts): InputCounts {
  for (const k of Object.keys(into) as (keyof InputCounts)[]) into[k] += c[k];
  return into;
}

/** Distinct skip reasons kept per input; the rest are counted together (reasons naming a client id are unbounded). */
export const MAX_SKIP_REASONS = 20;
export const OTHER_REASONS = 'other reasons';

/** Skips counted by reason, most frequent first when listed. */
export class SkipReasons {
  private readonly counts = new Map<string, number>();

  add(reason: string, n = 1): void {
    const key = this.counts.has(reason) || this.counts.size < MAX_SKIP_REASONS ? reason : OTHER_REASONS;
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  list(): Array<{ reason: string; count: number }> {
    return [...this.counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  }
}

/** `402 lines, 16 events, 0 stored, 386 rejected (386 unreadable, 0 refused by the store), 0 skipped`. */
export function countsLine(c: InputCounts, o: { unit?: string; stored?: boolean } = {}): string {
  const unit = o.unit ?? 'lines';
  const stored = o.stored ?? true;
  const rejected = rejectedOf(c);
  const why = stored ? ` (${c.unreadable} unreadable, ${c.refused} refused by the store)` : '';
  return `${c.lines} ${unit}, ${c.events} events, ${stored ? `${c.stored} stored, ` : ''}${rejected} rejected${rejected > 0 ? why : ''}, ${c.skipped} skipped`;
}

/** `skipped: 5 × not an A10 CGN record (…); 2 × blank line`, or '' with no skips. */
export function skipsLine(s: SkipReasons): string {
  const l = s.list();
  return l.length === 0 ? '' : `skipped: ${l.map((x) => `${x.count} × ${x.reason}`).join('; ')}`;
}

/**
 * Whether an input looks read with the wrong format: most of its lines skipped or rejected.
 * Then the line says so, with the format auto-detection reads its first lines as.
 */
export function wrongFormatHint(
  c: Pick<InputCounts, 'lines' | 'unreadable' | 'skipped'>,
  format: string,
  sample: readonly string[],
  advice: (guess: string) => string = (g) => `try --format ${g}`,
): string | null {
  const bad = c.unreadable + c.skipped;
  if (c.lines === 0 || bad * 2 <= c.lines) return null;
  const share = `${bad} of ${c.lines} lines were skipped or rejected`;
  const guess = suggestFormat(sample);
  if (guess === null) return `probably the wrong format: ${share}, and auto-detection recognises none of its first lines: name the format of this input`;
  if (guess === format) return `${share}, though auto-detection also reads it as ${format}: see the reasons`;
  return `probably the wrong format: ${share} as ${format}; auto-detection reads it as ${guess}: ${advice(guess)}`;
}
