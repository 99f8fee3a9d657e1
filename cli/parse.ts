import { once } from 'node:events';
import { eventToWire } from '../events/wire.js';
import { addCounts, zeroInputCounts } from '../intake/input-tally.js';
import { EXIT_DATA } from './fail.js';
import { dataVerdict, parseRatio, reportInput } from './ingest.js';
import { inputsFor, RejectLog, type InputOptions } from './inputs.js';
import { readInput } from './read-input.js';

export interface ParseOptions extends InputOptions {
  rejects?: string;
  keepSkipped?: boolean;
  maxRejectRatio?: string;
}

/**
 * Prints canonical NDJSON for each input (text logs and IPFIX captures alike), rejects and the
 * counts per input to stderr; needs no Redis. Exits 65 when a non-empty input gave no event, or
 * more was rejected than --max-reject-ratio allows.
 */
export async function parseCommand(files: string[], o: ParseOptions): Promise<number> {
  const maxRatio = parseRatio(o.maxRejectRatio);
  const inputs = await inputsFor(files, o);
  const rejects = new RejectLog(o.rejects);
  const totals = zeroInputCounts();
  try {
    for (const input of inputs) {
      const r = await readInput(input, {
        onBatch: async (events) => {
          let text = '';
          for (const e of events) text += `${JSON.stringify(eventToWire(e))}\n`;
          if (!process.stdout.write(text)) await once(process.stdout, 'drain');
        },
        onReject: (x) => rejects.add(x),
        onSkip: o.keepSkipped ? (x) => rejects.skip(x) : undefined,
      });
      reportInput(r, r.counts, false);
      addCounts(totals, r.counts);
    }
  } finally {
    await rejects.close();
  }
  const verdict = dataVerdict(totals, totals.events, 'read as an event', maxRatio);
  if (verdict === null) return 0;
  process.stderr.write(`whohad parse: ${verdict}\n`);
  return EXIT_DATA;
}
