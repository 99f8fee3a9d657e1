import { eventFromWire } from '../../events/wire.js';
import type { TextFormat } from '../format.js';
import { statelessParser } from './nat-common.js';

/**
 * NDJSON of canonical events (design/canonical-events.md), one per line: what `whohad parse`
 * prints and the ingest API takes, so a parsed file can be replayed. Events carry their own
 * natInstance/vrf, so the source options are not applied: rewriting them here would make a
 * replay differ from the original ingest.
 */
export const canonical: TextFormat = {
  name: 'canonical',
  kind: 'any',
  summary: 'NDJSON, one canonical event a line (as `whohad parse` prints and the ingest API takes)',
  create() {
    return statelessParser((text, lineNo, sink) => {
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        return sink.reject(lineNo, `not JSON: ${(err as Error).message}`);
      }
      const r = eventFromWire(obj);
      if (r.ok) sink.event(r.event, lineNo);
      else sink.reject(lineNo, r.reason);
    });
  },
  sniff(line) {
    return /^\s*\{\s*"kind"\s*:\s*"(?:nat|lease)"/.test(line) || (/^\s*\{"/.test(line) && /"kind"\s*:\s*"(?:nat|lease)"/.test(line));
  },
};
