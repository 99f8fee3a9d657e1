import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { canonicalIp } from '../core/ip.js';
import { datagramMessage, MAX_MESSAGE, REJECT_HEAD, SyslogFramer } from './syslog-framing.js';

/**
 * Syslog receivers: UDP (RFC 5426, one message per datagram) and TCP (RFC 6587 framing, see
 * framing.ts). They only frame and decode; routing and storing are the caller's. Every message
 * leaves with the address it came from, since a line without a syslog hostname can only be
 * told apart by its sender.
 */

export type Transport = 'udp' | 'tcp';

export interface SyslogMessage {
  text: string;
  /** The sender's address (IPv4-mapped IPv6 written as IPv4). */
  from: string;
  transport: Transport;
}

export interface FrameReject {
  from: string;
  transport: Transport;
  reason: string;
  /** The start of what was rejected (decoded leniently), for the reject log. */
  text: string;
}

export interface SyslogListenerOptions {
  transport: Transport;
  host: string;
  port: number;
  /** Longest message in bytes; default {@link MAX_MESSAGE}. */
  maxMessage?: number;
  /** UDP: the socket's receive buffer, the only queue a datagram has before it is read. */
  recvBufferSize?: number;
  /** TCP: connections accepted at once; default unlimited. */
  maxConnections?: number;
  onMessage(m: SyslogMessage): void;
  onReject(r: FrameReject): void;
  /** Socket errors after start (not a peer resetting its connection, which just ends it). */
  onError?(err: Error): void;
}

export interface SyslogListener {
  transport: Transport;
  address: AddressInfo;
  /** Open TCP connections (always 0 for UDP). */
  readonly connections: number;
  /**
   * TCP: stop reading every connection (and new ones) until `resume`, so a sender waits in
   * its own queue instead of in our memory. UDP cannot be paused: the caller decides.
   */
  pause(): void;
  resume(): void;
  /** Stops receiving; open TCP connections are closed after what was read from them is delivered. */
  close(): Promise<void>;
}

export function startSyslogListener(o: SyslogListenerOptions): Promise<SyslogListener> {
  return o.transport === 'udp' ? startUdp(o) : startTcp(o);
}

function addressText(a: string | undefined): string {
  if (a === undefined) return 'unknown';
  return canonicalIp(a) ?? a;
}

function startUdp(o: SyslogListenerOptions): Promise<SyslogListener> {
  const max = o.maxMessage ?? MAX_MESSAGE;
  const socket = createSocket({ type: o.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: o.recvBufferSize });
  socket.on('message', (msg, rinfo) => {
    const from = addressText(rinfo.address);
    const bytes = datagramMessage(msg);
    if (bytes.length > max) {
      o.onReject({ from, transport: 'udp', reason: `datagram of ${bytes.length} bytes is longer than the limit of ${max}: rejected unread`, text: bytes.subarray(0, REJECT_HEAD).toString('utf8') });
      return;
    }
    o.onMessage({ text: bytes.toString('utf8'), from, transport: 'udp' });
  });
  return new Promise((resolve, reject) => {
    const early = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', early);
    socket.bind(o.port, o.host, () => {
      socket.off('error', early);
      socket.on('error', (err) => o.onError?.(err));
      resolve({
        transport: 'udp',
        address: socket.address(),
        connections: 0,
        pause() {},
        resume() {},
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}

function startTcp(o: SyslogListenerOptions): Promise<SyslogListener> {
  const max = o.maxMessage ?? MAX_MESSAGE;
  const open = new Map<Socket, SyslogFramer>();
  let paused = false;
  const server = createServer((socket) => {
    const from = addressText(socket.remoteAddress);
    const framer = new SyslogFramer(
      {
        message: (bytes) => o.onMessage({ text: bytes.toString('utf8'), from, transport: 'tcp' }),
        reject: (reason, head) => o.onReject({ from, transport: 'tcp', reason, text: head.toString('utf8') }),
      },
      max,
    );
    open.set(socket, framer);
    socket.on('data', (chunk: Buffer) => {
      if (!framer.push(chunk)) socket.destroy();
    });
    socket.on('end', () => framer.end());
    // A reset or a broken pipe just ends the connection; 'close' follows.
    socket.on('error', () => {});
    socket.on('close', () => {
      // after a clean end this finds nothing; after a reset, the message cut short is rejected
      framer.abort('connection reset');
      open.delete(socket);
    });
    if (paused) socket.pause();
  });
  if (o.maxConnections !== undefined) server.maxConnections = o.maxConnections;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      server.on('error', (err) => o.onError?.(err));
      resolve({
        transport: 'tcp',
        address: server.address() as AddressInfo,
        get connections() {
          return open.size;
        },
        pause() {
          paused = true;
          for (const s of open.keys()) s.pause();
        },
        resume() {
          paused = false;
          for (const s of open.keys()) s.resume();
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Data is delivered synchronously as it is read, so nothing read is left behind
            // but a message cut short; what the kernel holds unread is lost with the connection.
            for (const [s, framer] of open) {
              framer.abort('collector stopped');
              s.destroy();
            }
          }),
      });
    });
  });
}
