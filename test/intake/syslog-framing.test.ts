import { describe, expect, it } from 'vitest';
import { datagramMessage, SyslogFramer } from '../../intake/syslog-framing.js';

function framer(max?: number) {
  const messages: string[] = [];
  const rejects: Array<{ reason: string; head: string }> = [];
  const f = new SyslogFramer(
    { message: (b) => messages.push(b.toString('utf8')), reject: (reason, head) => rejects.push({ reason, head: head.toString('utf8') }) },
    max,
  );
  return { f, messages, rejects };
}

/** Every way of cutting `text` into two chunks gives the same messages. */
function allSplits(text: string, max?: number) {
  const bytes = Buffer.from(text);
  const outcomes = new Set<string>();
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { f, messages, rejects } = framer(max);
    f.push(bytes.subarray(0, cut));
    f.push(bytes.subarray(cut));
    f.end();
    outcomes.add(JSON.stringify({ messages, rejects }));
  }
  expect(outcomes.size).toBe(1);
  return JSON.parse([...outcomes][0]) as { messages: string[]; rejects: Array<{ reason: string; head: string }> };
}

describe('SyslogFramer, octet counting', () => {
  it('reads frames split anywhere, counting octets not characters', () => {
    const a = '<14>1 2026-03-14T09:26:53Z srx - - - ø';
    const b = '<134>May  7 10:20:30 ax1 NAT-UDP-C: x';
    const r = allSplits(`${Buffer.byteLength(a)} ${a}${Buffer.byteLength(b)} ${b}`);
    expect(r).toEqual({ messages: [a, b], rejects: [] });
  });

  it('tolerates a line end after each frame and strips one inside it', () => {
    const r = allSplits('5 hello\n6 world\n\r\n');
    expect(r.messages).toEqual(['hello', 'world']);
  });

  it('skips a frame over the limit by its count and keeps reading', () => {
    const big = 'x'.repeat(40);
    const r = allSplits(`40 ${big}3 abc`, 32);
    expect(r.messages).toEqual(['abc']);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0].reason).toBe('octet-counted frame of 40 bytes is longer than the limit of 32: skipped unread');
  });

  it('loses the framing when a frame does not start with a length, and says so', () => {
    const { f, messages, rejects } = framer();
    expect(f.push(Buffer.from('3 abcxyz 1 a'))).toBe(false);
    expect(messages).toEqual(['abc']);
    expect(rejects).toEqual([{ reason: 'octet-counted frame does not start with a length (byte "x"): framing lost, connection closed', head: 'xyz 1 a' }]);
    expect(f.push(Buffer.from('1 a'))).toBe(false);
  });

  it('rejects a frame cut short by the end of the connection', () => {
    const { f, messages, rejects } = framer();
    f.push(Buffer.from('10 abc'));
    f.end();
    expect(messages).toEqual([]);
    expect(rejects).toEqual([{ reason: 'connection closed after 3 of the 10 bytes of an octet-counted frame', head: 'abc' }]);
  });
});

describe('SyslogFramer, non-transparent (LF)', () => {
  it('splits on LF, drops the CR of CRLF, and delivers a last line without LF at the end', () => {
    const r = allSplits('<14>Mar 14 a\r\n<14>Mar 14 b\n\nlast');
    expect(r).toEqual({ messages: ['<14>Mar 14 a', '<14>Mar 14 b', '', 'last'], rejects: [] });
  });

  it('reads lines starting with digits as lines, not lengths (Kea CSV rows)', () => {
    const r = allSplits('100.64.1.10,00:16:3e:12:34:56,,3600,1767229200,1,0,0,,0,,0\n2026-07-19 16:13:02: host x\n');
    expect(r.messages).toEqual(['100.64.1.10,00:16:3e:12:34:56,,3600,1767229200,1,0,0,,0,,0', '2026-07-19 16:13:02: host x']);
  });

  it('rejects an over-long line as soon as it passes the limit, then goes on with the next line', () => {
    const r = allSplits(`${'y'.repeat(50)}\nshort\n`, 32);
    expect(r.messages).toEqual(['short']);
    expect(r.rejects).toEqual([{ reason: 'message longer than the limit of 32 bytes: rejected unread, skipped to the next line end', head: 'y'.repeat(32) }]);
  });

  it('rejects, never delivers, a message cut short when the collector closes the connection', () => {
    const { f, messages, rejects } = framer();
    f.push(Buffer.from('one\ntw'));
    f.abort('collector stopped');
    expect(messages).toEqual(['one']);
    expect(rejects).toEqual([{ reason: 'collector stopped with an incomplete message (2 bytes) unread', head: 'tw' }]);
  });
});

describe('datagramMessage', () => {
  it('drops the line end some senders add, and nothing else', () => {
    expect(datagramMessage(Buffer.from('<14>a b\r\n')).toString()).toBe('<14>a b');
    expect(datagramMessage(Buffer.from('<14>a b\n\0')).toString()).toBe('<14>a b');
    expect(datagramMessage(Buffer.from('<14>a\nb')).toString()).toBe('<14>a\nb');
  });
});
