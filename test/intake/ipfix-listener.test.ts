import { createSocket } from 'node:dgram';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startIpfixCollector, type IpfixCollector, type IpfixReject } from '../../intake/ipfix-listener.js';
import type { NatEvent } from '../../events/schema.js';
import { PBA_TEMPLATE, dataSet, ipfixMessage, pbaRecord, templateSet } from '../parse/ipfix/encoder.js';

const T0 = Date.UTC(2026, 9, 25, 0, 59, 58, 123);
const EXPORT = Math.floor(T0 / 1000) + 1;

/** A promise and the function that settles it, to await a callback instead of sleeping. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

let collector: IpfixCollector | undefined;
const exporter = createSocket('udp4');
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});
afterAll(() => new Promise<void>((done) => exporter.close(() => done())));

function send(buf: Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) => exporter.send(buf, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

describe('startIpfixCollector', () => {
  it('decodes datagrams sent over UDP on 127.0.0.1 and counts what it saw', async () => {
    const got = deferred<{ batch: NatEvent[]; exporter: string }>();
    const rejected = deferred<IpfixReject>();
    collector = await startIpfixCollector({
      host: '127.0.0.1',
      port: 0,
      decoder: { natInstance: 'cgn1' },
      onEvents: (batch, exporter) => got.resolve({ batch, exporter }),
      onReject: (r) => rejected.resolve(r),
    });
    expect(collector.address.port).toBeGreaterThan(0);

    // data before its template: rejected, naming the exporter
    const data = ipfixMessage({ exportTime: EXPORT, domain: 3 }, [
      dataSet(300, [pbaRecord({ ms: T0, ev: 16, inside: '100.64.12.34', outside: '198.51.100.7', start: 1024, end: 1535 })]),
    ]);
    await send(data, collector.address.port);
    const r = await rejected.promise;
    expect(r).toEqual({
      exporter: '127.0.0.1',
      position: '127.0.0.1 offset 16',
      reason: 'data set for unknown template 300 (exporter 127.0.0.1, observation domain 3): no template received yet',
    });

    await send(ipfixMessage({ exportTime: EXPORT, domain: 3 }, [templateSet(10, [PBA_TEMPLATE])]), collector.address.port);
    await send(data, collector.address.port);
    const { batch, exporter } = await got.promise;
    expect(exporter).toBe('127.0.0.1');
    expect(batch).toEqual([
      {
        kind: 'nat', event: 'alloc', at: T0, natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535,
        privateIp: '100.64.12.34', privateVrf: 'default', protocol: null, allocatedAt: null, source: 'ipfix',
      },
    ]);
    // datagrams on one socket are handled in order, so the template packet was counted too
    expect(collector.counters).toEqual({ packets: 3, events: 1, rejected: 1, skipped: 0 });
  });

  it('keys exporters by address and port when asked', async () => {
    const got = deferred<string>();
    collector = await startIpfixCollector({
      host: '127.0.0.1',
      port: 0,
      exporterKey: 'ip-port',
      onEvents: () => {},
      onReject: (r) => got.resolve(r.exporter),
    });
    await send(Buffer.from([0, 10, 0, 1]), collector.address.port);
    const local = exporter.address().port;
    expect(await got.promise).toBe(`127.0.0.1:${local}`);
  });

  it('fails to start when the port is taken', async () => {
    collector = await startIpfixCollector({ host: '127.0.0.1', port: 0, onEvents: () => {} });
    await expect(startIpfixCollector({ host: '127.0.0.1', port: collector.address.port, onEvents: () => {} })).rejects.toThrow(/EADDRINUSE/);
  });
});
