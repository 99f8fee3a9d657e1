import { createSocket, type RemoteInfo } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { canonicalIp } from '../../core/ip.js';
import type { NatEvent } from '../../schemas/events.js';
import { IpfixDecoder, type IpfixDecoderOptions, type PacketSink } from './decoder.js';

/**
 * A UDP listener for NetFlow v9 / IPFIX NAT exports. Each datagram is decoded at once and its
 * events handed over as one batch; nothing is buffered here, so a slow consumer shows up as
 * socket receive-buffer drops (raise recvBufferSize), not as unbounded memory.
 */

export interface IpfixReject {
  exporter: string;
  position: string;
  reason: string;
}

export interface IpfixCollectorOptions {
  host?: string;
  port: number;
  decoder?: IpfixDecoderOptions;
  /**
   * Templates are scoped by exporter address. 'ip' (default) survives exporters that change
   * source port (several line cards, restarts); 'ip-port' is the RFC 7011 transport-session
   * scope, for several exporters behind one address.
   */
  exporterKey?: 'ip' | 'ip-port';
  recvBufferSize?: number;
  onEvents(batch: NatEvent[], exporter: string): void;
  onReject?(r: IpfixReject): void;
  onSkip?(r: IpfixReject): void;
  /** Socket errors after start; default: ignored after being counted. */
  onError?(err: Error): void;
}

export interface IpfixCollectorCounters {
  packets: number;
  events: number;
  rejected: number;
  skipped: number;
}

export interface IpfixCollector {
  address: AddressInfo;
  counters: IpfixCollectorCounters;
  decoder: IpfixDecoder;
  close(): Promise<void>;
}

export function exporterOf(rinfo: RemoteInfo, key: 'ip' | 'ip-port' = 'ip'): string {
  // a dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d
  const ip = canonicalIp(rinfo.address) ?? rinfo.address;
  if (key === 'ip') return ip;
  return ip.includes(':') ? `[${ip}]:${rinfo.port}` : `${ip}:${rinfo.port}`;
}

export function startIpfixCollector(o: IpfixCollectorOptions): Promise<IpfixCollector> {
  const host = o.host ?? '0.0.0.0';
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: o.recvBufferSize });
  const decoder = new IpfixDecoder(o.decoder);
  const counters: IpfixCollectorCounters = { packets: 0, events: 0, rejected: 0, skipped: 0 };
  let batch: NatEvent[] = [];
  let exporter = '';
  const sink: PacketSink = {
    event(e) {
      batch.push(e);
    },
    reject(position, reason) {
      counters.rejected++;
      o.onReject?.({ exporter, position, reason });
    },
    skip(position, reason) {
      counters.skipped++;
      o.onSkip?.({ exporter, position, reason });
    },
  };

  socket.on('message', (msg, rinfo) => {
    counters.packets++;
    exporter = exporterOf(rinfo, o.exporterKey);
    batch = [];
    decoder.packet(msg, exporter, sink);
    if (batch.length > 0) {
      counters.events += batch.length;
      o.onEvents(batch, exporter);
    }
  });

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
        counters,
        decoder,
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}
