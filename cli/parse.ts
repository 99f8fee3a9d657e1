import { once } from 'node:events';
import { eventToWire } from '../events/wire.js';
import { linesOf, parseStream } from '../intake/pipeline.js';
import { inputsFor, RejectLog, type InputOptions } from './inputs.js';

/** Prints canonical NDJSON for each input, rejects to stderr; needs no Redis. */
export async function parseCommand(files: string[], o: InputOptions & { rejects?: string }): Promise<number> {
  const rejects = new RejectLog(o.rejects);
  for (const input of await inputsFor(files, o)) {
    await parseStream({
      lines: linesOf(input.file),
      format: input.format,
      options: input.options,
      context: { now: Date.now() },
      file: input.file,
      onBatch: async (events) => {
        let text = '';
        for (const e of events) text += `${JSON.stringify(eventToWire(e))}\n`;
        if (!process.stdout.write(text)) await once(process.stdout, 'drain');
      },
      onReject: (r) => rejects.add(r),
    });
  }
  await rejects.close();
  return 0;
}
