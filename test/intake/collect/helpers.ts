import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Collector, CollectorState, Listening } from '../../../intake/collector.js';
import type { CollectReject } from '../../../intake/reject-file.js';

/** Awaits the collector's counters reaching a state: woken by each change, no sleeping. */
export async function until(c: Collector, what: string, pred: (s: CollectorState) => boolean): Promise<CollectorState> {
  for (let i = 0; i < 200_000; i++) {
    const s = c.state();
    if (pred(s)) return s;
    await c.changed();
  }
  throw new Error(`the collector never reached: ${what}; counters ${JSON.stringify(c.state().total)}`);
}

export function port(c: Collector, kind: Listening['kind'], transport: Listening['transport']): number {
  const l = c.listening.find((x) => x.kind === kind && x.transport === transport);
  if (!l) throw new Error(`no ${kind} ${transport} listener`);
  return l.address.port;
}

export function rejectsPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'whohad-collect-')), 'rejects.ndjson');
}

export function readRejects(path: string): Array<CollectReject & { at: string }> {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

/** A UDP sender bound to `from` (any 127/8 address works on Linux loopback). */
export async function udpSender(from = '127.0.0.1') {
  const s: UdpSocket = createSocket('udp4');
  await new Promise<void>((done) => s.bind(0, from, () => done()));
  return {
    send: (text: string | Buffer, to: number) =>
      new Promise<void>((resolve, reject) => s.send(typeof text === 'string' ? Buffer.from(text) : text, to, '127.0.0.1', (err) => (err ? reject(err) : resolve()))),
    close: () => new Promise<void>((done) => s.close(() => done())),
  };
}

/** A TCP connection from `from`; `write` resolves once the bytes are handed to the kernel. */
export async function tcpSender(to: number, from = '127.0.0.1') {
  const s: Socket = connect({ port: to, host: '127.0.0.1', localAddress: from });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('error', reject);
  });
  return {
    write: (data: string | Buffer) => new Promise<void>((resolve, reject) => s.write(data, (err) => (err ? reject(err) : resolve()))),
    end: () => new Promise<void>((done) => s.end(() => done())),
    socket: s,
  };
}

/** RFC 6587 octet-counting frame. */
export const octet = (msg: string) => `${Buffer.byteLength(msg)} ${msg}`;
