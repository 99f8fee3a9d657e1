import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { IpfixDecoder } from '../parse/ipfix/decoder.js';
import { IpfixDatagrams, type IpfixCounters, type IpfixDatagramOptions } from '../parse/ipfix/datagrams.js';

export { exporterOf, type IpfixReject, type IpfixSkip } from '../parse/ipfix/datagrams.js';

/**
 * A UDP listener for NetFlow v9 / IPFIX NAT exports. Each datagram is decoded at once (by the
 * same path capture replay uses, datagrams.ts) and its events handed over as one batch; nothing
 * is buffered here, so a slow consumer shows up as socket receive-buffer drops (raise
 * recvBufferSize), not as unbounded memory.
 */

export interface IpfixCollectorOptions extends IpfixDatagramOptions {
  host?: string;
  port: number;
  recvBufferSize?: number;
  /** Socket errors after start; default: ignored after being counted. */
  onError?(err: Error): void;
}

export type IpfixCollectorCounters = IpfixCounters;

export interface IpfixCollector {
  address: AddressInfo;
  counters: IpfixCollectorCounters;
  decoder: IpfixDecoder;
  close(): Promise<void>;
}

export function startIpfixCollector(o: IpfixCollectorOptions): Promise<IpfixCollector> {
  const host = o.host ?? '0.0.0.0';
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: o.recvBufferSize });
  const datagrams = new IpfixDatagrams(o);
  socket.on('message', (msg, rinfo) => datagrams.receive(msg, rinfo));

  return new Promise((resolve, reject) => {
    const early = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', early);
    socket.bind(o.port, host, () => {
      socket.off('error', early);
      socket.on('error', (err) => o.onError?.(err));
      resolve({
        address: socket.address(),
        counters: datagrams.counters,
        decoder: datagrams.decoder,
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}
