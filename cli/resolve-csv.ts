import { SingleBar } from 'cli-progress';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ResolveCsvOptions {
  output?: string;
  tz?: string;
  tolerance?: string;
  format?: string;
  url: string;
  token?: string;
  case: string;
  legalBasis: string;
  purpose: string;
}

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** Draw the progress bar (stderr is a terminal). */
  progress: boolean;
}

const defaultIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, progress: Boolean(process.stderr.isTTY) });

/** Counts the bytes that pass (what was uploaded) or the line ends (rows answered). */
class Meter extends Transform {
  bytes = 0;
  lines = 0;
  constructor(private readonly countLines: boolean, private readonly onData: () => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.bytes += chunk.length;
    if (this.countLines) for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++;
    this.onData();
    done(null, chunk);
  }
}

interface Summary {
  job?: string;
  rows: number;
  complete: boolean;
  byStatus: Record<string, number>;
  byReason: Record<string, number>;
  subscribers: number;
  top?: Array<{ subscriberId: string; uniqueRows: number; candidateRows: number; first: string; last: string }>;
  summaryUrl?: string;
}

function printSummary(s: Summary, base: string, out: Writable) {
  const lines = [`rows: ${s.rows}${s.complete ? '' : ' (INCOMPLETE: the upload broke off, see the last row)'}`];
  lines.push(`status: ${Object.entries(s.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const reasons = Object.entries(s.byReason);
  if (reasons.length) lines.push(`reasons: ${reasons.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`subscribers named: ${s.subscribers}`);
  if (s.top?.length) {
    lines.push('most corroborated (unique rows / as one of several / first - last):');
    for (const c of s.top) lines.push(`  ${c.subscriberId}  ${c.uniqueRows} / ${c.candidateRows}  ${c.first} - ${c.last}`);
  }
  if (s.summaryUrl) lines.push(`full summary with the corroboration table: ${base}${s.summaryUrl}`);
  out.write(`${lines.join('\n')}\n`);
}

/**
 * Streams a CSV file to `POST /v1/attribution/bulk` and writes the answer as it arrives (to a
 * file or stdout), with a progress bar on a terminal; prints the summary from the response's
 * trailer. Exit code 0 when every row was answered, 1 when the service refused the file or the
 * answer is incomplete, 2 when the service cannot be reached.
 */
export async function resolveCsvCommand(file: string, o: ResolveCsvOptions, io: CliIo = defaultIo()): Promise<number> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    io.stderr.write(`whohad resolve-csv: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const base = o.url.replace(/\/$/, '');
  if (!o.token) {
    io.stderr.write('whohad resolve-csv: no token: pass --token or set WHOHAD_TOKEN (an investigator token from `whohad token create`)\n');
    return 2;
  }
  const params = new URLSearchParams({ case: o.case, legalBasis: o.legalBasis, purpose: o.purpose });
  if (o.tz !== undefined) params.set('tz', o.tz);
  if (o.tolerance !== undefined) params.set('tolerance', o.tolerance);
  if (o.format !== undefined) params.set('format', o.format);
  const url = new URL(`${base}/v1/attribution/bulk?${params}`);

  const bar = io.progress
    ? new SingleBar({ format: ' {bar} {percentage}% | {rows} rows | {speed} rows/s | ETA {eta_formatted}', stream: io.stderr as NodeJS.WritableStream, etaBuffer: 50, hideCursor: true }, undefined)
    : null;
  const started = performance.now();
  let rowsOut = 0;
  const tick = () => {
    if (!bar) return;
    const s = (performance.now() - started) / 1000;
    bar.update(upload.bytes, { rows: rowsOut, speed: s > 0 ? Math.round(rowsOut / s) : 0 });
  };
  const upload = new Meter(false, tick);
  const answer = new Meter(true, () => {
    rowsOut = Math.max(0, answer.lines - 1);
    tick();
  });
  bar?.start(size, 0, { rows: 0, speed: 0 });

  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = send(url, { method: 'POST', headers: { 'content-type': 'text/csv', 'content-length': size, authorization: `Bearer ${o.token}` } });
  const response = new Promise<IncomingMessage>((ok, fail) => {
    req.once('response', ok);
    req.once('error', fail);
  });
  // the upload runs beside the download: the service answers rows while it still reads the file
  const sending = pipeline(createReadStream(file), upload, req).catch((err: Error) => err);
  let res: IncomingMessage;
  try {
    res = await response;
  } catch (err) {
    bar?.stop();
    io.stderr.write(`whohad resolve-csv: cannot reach the service at ${o.url} (${(err as Error).message}). Start it with \`npm start\` or pass --url.\n`);
    return 2;
  }
  if (res.statusCode !== 200) {
    bar?.stop();
    let text = '';
    for await (const c of res) text += c;
    let message = text;
    try {
      message = JSON.parse(text).message ?? text;
    } catch {
      // not JSON: show it as it came
    }
    io.stderr.write(`whohad resolve-csv: ${res.statusCode}: ${message}\n`);
    req.destroy();
    return 1;
  }
  const target = o.output ? createWriteStream(o.output) : io.stdout;
  try {
    await pipeline(res, answer, target, { end: Boolean(o.output) });
  } catch (err) {
    bar?.stop();
    io.stderr.write(`whohad resolve-csv: the answer broke off after ${rowsOut} rows (${(err as Error).message}); ${o.output ? `${o.output} is incomplete` : 'the output is incomplete'}\n`);
    return 1;
  }
  const sent = await sending;
  tick();
  bar?.stop();
  const trailer = res.trailers['x-whohad-summary'];
  if (!trailer) {
    io.stderr.write(`whohad resolve-csv: the answer ended without its summary${sent instanceof Error ? ` (${sent.message})` : ''}: it may be incomplete\n`);
    return 1;
  }
  const summary = JSON.parse(trailer) as Summary;
  const secs = (performance.now() - started) / 1000;
  io.stderr.write(`${summary.rows} rows in ${secs.toFixed(1)} s (${Math.round(summary.rows / Math.max(secs, 1e-3))} rows/s)${o.output ? ` written to ${o.output}` : ''}\n`);
  printSummary(summary, base, io.stderr);
  return summary.complete ? 0 : 1;
}
