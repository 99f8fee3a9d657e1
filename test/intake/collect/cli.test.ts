import { describe, expect, it } from 'vitest';
import { parseListenUrl } from '../../../cli/collect.js';

describe('collect: listen URLs', () => {
  it('reads udp:// and tcp:// with IPv4, names and bracketed IPv6', () => {
    expect(parseListenUrl('--syslog', 'udp://127.0.0.1:5514', ['udp', 'tcp'])).toEqual({ transport: 'udp', host: '127.0.0.1', port: 5514 });
    expect(parseListenUrl('--syslog', 'TCP://localhost:514/', ['udp', 'tcp'])).toEqual({ transport: 'tcp', host: 'localhost', port: 514 });
    expect(parseListenUrl('--ipfix', 'udp://[::1]:4739', ['udp'])).toEqual({ transport: 'udp', host: '::1', port: 4739 });
  });

  it('refuses what it cannot listen on, naming the option and the URL', () => {
    expect(() => parseListenUrl('--ipfix', 'tcp://127.0.0.1:4739', ['udp'])).toThrow('--ipfix "tcp://127.0.0.1:4739": unsupported scheme tcp://; use udp://');
    expect(() => parseListenUrl('--syslog', 'http://127.0.0.1:514', ['udp', 'tcp'])).toThrow('--syslog "http://127.0.0.1:514": unsupported scheme http://; use udp:// or tcp://');
    expect(() => parseListenUrl('--syslog', 'udp://127.0.0.1', ['udp', 'tcp'])).toThrow('--syslog "udp://127.0.0.1": expected udp://HOST:PORT or tcp://HOST:PORT (IPv6 hosts in brackets, e.g. udp://[::1]:514)');
    expect(() => parseListenUrl('--syslog', '127.0.0.1:514', ['udp', 'tcp'])).toThrow(/^--syslog "127.0.0.1:514": expected/);
    expect(() => parseListenUrl('--syslog', 'udp://::1:514', ['udp', 'tcp'])).toThrow(/expected/);
    expect(() => parseListenUrl('--syslog', 'udp://127.0.0.1:70000', ['udp', 'tcp'])).toThrow('--syslog "udp://127.0.0.1:70000": port 70000 is not 0-65535');
  });
});
