import { canonicalIp } from '../../core/ip.js';
import type { NatEvent } from '../../events/schema.js';
import { IpfixDecoder, type IpfixDecoderOptions, type IpfixSkipCode, type PacketSink } from './decoder.js';

/**
 * The one path from a NetFlow v9 / IPFIX datagram to events, whatever carried it: the UDP
 * collector feeds it what its socket receives, capture replay what a pcap/pcapng file holds.
 * Both therefore scope templates by exporter and observation domain the same way and give the
 * same events, rejects and skips for the same packets.
 */

export interface IpfixReject {
  exporter: string;
  position: string;
  reason: string;
}

export interface IpfixSkip extends IpfixReject {
  code: IpfixSkipCode;
}

/** The sender of a datagram (a socket's RemoteInfo is one). */
export interface Sender {
  address: string;
  port: number;
}

export type ExporterKey = 'ip' | 'ip-port';

export interface IpfixDatagramOptions {
  decoder?: IpfixDecoderOptions;
  /**
   * Templates are scoped by exporter address. 'ip' (default) survives exporters that change
   * source port (several line cards, restarts); 'ip-port' is the RFC 7011 transport-session
   * scope, for several exporters behind one address.
   */
  exporterKey?: ExporterKey;
  /** The events of one datagram, when it had any. */
  onEvents(batch: NatEvent[], exporter: string): void;
  onReject?(r: IpfixReject): void;
  onSkip?(r: IpfixSkip): void;
}

export interface IpfixCounters {
  packets: number;
  events: number;
  rejected: number;
  skipped: number;
}

export function exporterOf(from: Sender, key: ExporterKey = 'ip'): string {
  // a dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d
  const ip = canonicalIp(from.address) ?? from.address;
  if (key === 'ip') return ip;
  return ip.includes(':') ? `[${ip}]:${from.port}` : `${ip}:${from.port}`;
}

export class IpfixDatagrams {
  readonly decoder: IpfixDecoder;
  readonly counters: IpfixCounters = { packets: 0, events: 0, rejected: 0, skipped: 0 };
  private readonly sink: PacketSink;
  private batch: NatEvent[] = [];
  private exporter = '';

  constructor(private readonly o: IpfixDatagramOptions) {
    this.decoder = new IpfixDecoder(o.decoder);
    const counters = this.counters;
    this.sink = {
      event: (e) => {
        this.batch.push(e);
      },
      reject: (position, reason) => {
        counters.rejected++;
        o.onReject?.({ exporter: this.exporter, position, reason });
      },
      skip: (position, reason, code) => {
        counters.skipped++;
        o.onSkip?.({ exporter: this.exporter, position, reason, code });
      },
    };
  }

  /** Decodes one datagram; `where` names it in positions (default: the exporter). */
  receive(payload: Buffer, from: Sender, where?: string): void {
    this.counters.packets++;
    const exporter = exporterOf(from, this.o.exporterKey);
    this.exporter = exporter;
    this.batch = [];
    this.decoder.packet(payload, exporter, this.sink, where ?? exporter);
    if (this.batch.length > 0) {
      this.counters.events += this.batch.length;
      this.o.onEvents(this.batch, exporter);
    }
  }
}
