import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { TextFormat } from '../parse/format.js';
import { loadSourceConfig, optionsFor, sourceFor } from '../intake/sources.js';
import type { Reject } from '../intake/pipeline.js';
import { autoWith, formatByName } from '../parse/registry.js';
import type { SourceConfig, SourceOptions } from '../schemas/source-config.js';

export interface InputOptions {
  format?: string;
  config?: string;
  source?: string;
}

export interface Input {
  file: string;
  format: TextFormat;
  options: SourceOptions;
}

/**
 * Decides how each input is read: --format wins, else the format of the configured source that
 * matches the file (by --source name or by path), else canonical NDJSON. `auto` reports the
 * format it chose on stderr, so an operator can see what each file was read as.
 */
export async function inputsFor(files: string[], o: InputOptions): Promise<Input[]> {
  const config: SourceConfig | null = o.config ? await loadSourceConfig(o.config) : null;
  return files.map((file) => {
    const query = { name: o.source, path: file === '-' ? undefined : resolve(file) };
    const source = config ? sourceFor(config, query) : undefined;
    if (o.source && config && !source) throw new Error(`--source ${o.source}: no source of that name in ${o.config}`);
    const name = o.format ?? source?.format ?? 'canonical';
    const format = name === 'auto' ? autoWith((chosen) => process.stderr.write(`auto: ${file}: ${chosen ? `read as ${chosen.name}` : 'no format recognised its first lines'}\n`)) : formatByName(name);
    return { file, format, options: config ? optionsFor(config, query) : {} };
  });
}

const SHOWN = 100;

/** Prints rejects as file:line: reason (the first hundred), and keeps them all in --rejects. */
export class RejectLog {
  private shown = 0;
  count = 0;
  private readonly out: WriteStream | null;

  constructor(path: string | undefined) {
    this.out = path ? createWriteStream(path, { flags: 'a' }) : null;
  }

  add(r: Reject) {
    this.count++;
    if (this.shown < SHOWN) {
      this.shown++;
      process.stderr.write(`${r.file}:${r.line}: ${r.reason}\n`);
    }
    this.out?.write(`${JSON.stringify({ file: r.file, line: r.line, reason: r.reason, text: r.text })}\n`);
  }

  async close(): Promise<void> {
    if (this.count > this.shown) {
      process.stderr.write(`… and ${this.count - this.shown} more rejected lines${this.out ? ` (all in ${this.out.path})` : ' (keep them all with --rejects FILE)'}\n`);
    }
    if (this.out) await new Promise<void>((done) => this.out!.end(done));
  }
}
