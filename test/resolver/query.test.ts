import { describe, expect, it } from 'vitest';
import { mapHeader } from '../../bulk/header.js';
import { rowToQuery } from '../../bulk/row.js';
import { EXIT_CODES } from '../../cli/exit-codes.js';
import { resolveCommand } from '../../cli/resolve.js';
import { DOMAIN_CODES, DomainError, type DomainCode } from '../../core/domain-error.js';
import { normaliseQuery } from '../../resolver/query.js';
import { HTTP_STATUS } from '../../service/errors.js';
import { PURPOSE, testApp } from '../helpers/app.js';

const OK = { ip: '198.51.100.7', port: '1100', at: '2026-10-25T00:30:00Z' };

function refusal(q: Parameters<typeof normaliseQuery>[0]): DomainError {
  const r = normaliseQuery(q);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(q)}`);
  return r.errors[0];
}

// texts some parser reads as a port: hex, octal, binary, exponent, fraction, sign, padding, percent-encoding left undecoded
const CRAFTED_PORTS = ['0x9c7b', '0o116173', '0b1', '4.0123e4', '1e3', '80.0', '+80', '-1', ' 80', '80 ', '\n40123', '%0a40123', '65536', '99999', '123456', 'abc', '', 'NaN', 'Infinity'];

describe('normaliseQuery', () => {
  it('reads a good query into canonical form and keeps what was asked', () => {
    const r = normaliseQuery({ ip: '::ffff:198.51.100.7', port: '0080', at: '2026-10-25T02:30:00', tz: 'Europe/Copenhagen', tolerance: '0.5' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.query).toEqual({ ip: '198.51.100.7', port: 80, at: '2026-10-25T02:30:00', tz: 'Europe/Copenhagen', tolerance: 0.5 });
    expect(r.query.instants).toEqual([Date.UTC(2026, 9, 25, 0, 30), Date.UTC(2026, 9, 25, 1, 30)]);
    expect(r.query.ambiguousLocalTime).toBe(true);
    expect(normaliseQuery({ ...OK, port: undefined })).toMatchObject({ ok: true, query: { port: null } });
  });

  it.each(['300.1.1.1', '10.1', '0x0a.0.0.1', '010.0.0.1', 'fe80::1%eth0', '', 'x'.repeat(100)])('ip %j is bad_ip naming ip', (ip) => {
    expect(refusal({ ...OK, ip })).toMatchObject({ code: 'bad_ip', field: 'ip' });
  });

  it.each(CRAFTED_PORTS)('port %j is bad_port naming port', (port) => {
    const e = refusal({ ...OK, port });
    expect(e).toMatchObject({ code: 'bad_port', field: 'port' });
    expect(e.text).toMatch(/^port: must be (integer|<= 65535)/);
  });

  it.each([-1, 65536, 1.5, Number.NaN])('a typed port %j is bad_port', (port) => {
    expect(refusal({ ...OK, port })).toMatchObject({ code: 'bad_port', field: 'port' });
  });

  it.each(['', ' ', 'yesterday', '2026-02-30T00:00:00Z', '2026-10-25T02:30:00', '99999999999999', '1792888200000.5', '0000-01-01T00:00:00Z', `2026-10-25T00:30:00Z${' '.repeat(60)}`])('at %j is bad_time naming at', (at) => {
    expect(refusal({ ...OK, at })).toMatchObject({ code: 'bad_time', field: 'at' });
  });

  it('at in the skipped DST hour is bad_time', () => {
    expect(refusal({ ...OK, at: '2026-03-29T02:30:00', tz: 'Europe/Copenhagen' }).text).toMatch(/^at: .*never happened in Europe\/Copenhagen/);
  });

  it.each(['', 'Mars/Olympus', 'Europe/Copenhagen ', 'x'.repeat(65), `Europe/${'A'.repeat(5000)}`])('tz %j is bad_tz naming tz', (tz) => {
    expect(refusal({ ...OK, tz })).toMatchObject({ code: 'bad_tz', field: 'tz' });
  });

  it.each(['-1', '3601', '0x10', '1e1', 'NaN', 'Infinity', '', ' 2', -1, 3601, Number.NaN, Number.POSITIVE_INFINITY])('tolerance %j is bad_tolerance naming tolerance', (tolerance) => {
    expect(refusal({ ...OK, tolerance })).toMatchObject({ code: 'bad_tolerance', field: 'tolerance' });
  });

  it('names every wrong field at once', () => {
    const r = normaliseQuery({ ip: 'x', port: '0x1', at: 'soon', tolerance: '-1' });
    expect(r.ok ? [] : r.errors.map((e) => e.field)).toEqual(['ip', 'port', 'at', 'tolerance']);
  });
});

describe('a crafted port is refused alike by REST, bulk rows and the CLI', () => {
  it('REST answers 400 naming port, and logs nothing', async () => {
    const app = await testApp();
    for (const port of CRAFTED_PORTS.filter((p) => p !== '')) {
      const r = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=${encodeURIComponent(port)}&at=2026-10-25T00:30:00Z&${PURPOSE}`, headers: app.auth });
      expect(r.statusCode, port).toBe(400);
      expect(r.json().message, port).toMatch(/^port: /);
    }
    // the percent sign sent as is: the raw query carries "%0a40123", decoded to a newline before 40123
    const raw = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=%0a40123&at=2026-10-25T00:30:00Z&${PURPOSE}`, headers: app.auth });
    expect(raw.statusCode).toBe(400);
    const log = await app.inject({ url: '/v1/audit?case=C-2026-117', headers: app.auth });
    expect(log.json().records).toEqual([]);
  });

  it('bulk rows are bad_port', () => {
    const h = mapHeader(['ip', 'port', 'timestamp']);
    if (!h.ok) throw new Error('header');
    const c = h.columns;
    // cells are trimmed (spreadsheets pad them), so padding alone is not a crafted port there
    for (const port of CRAFTED_PORTS.filter((p) => p !== '' && p.trim() === p)) {
      expect(rowToQuery(['198.51.100.7', port, '2026-10-25T00:30:00Z'], c, {}), port).toMatchObject({ ok: false, error: { code: 'bad_port' } });
    }
  });

  it('the CLI refuses before it asks the service', async () => {
    for (const port of CRAFTED_PORTS) {
      const asked = resolveCommand({ ip: '198.51.100.7', port, at: '2026-10-25T00:30:00Z', url: 'http://127.0.0.1:9', token: 't', case: 'C', legalBasis: 'court-order', purpose: 'p' });
      await expect(asked, port).rejects.toMatchObject({ code: 'bad_port', field: 'port' });
    }
  });
});

describe('codes map once to HTTP statuses and exit codes', () => {
  const codes = Object.keys(DOMAIN_CODES) as DomainCode[];
  it('every code has a status and an exit code', () => {
    for (const code of codes) {
      expect(HTTP_STATUS[code], code).toBeGreaterThanOrEqual(400);
      expect(EXIT_CODES[code], code).toBeGreaterThan(0);
    }
  });
  it('input errors are 400 and exit 2; the store away is 503 and exit 75', () => {
    for (const code of ['bad_ip', 'bad_port', 'bad_time', 'bad_tz', 'bad_tolerance', 'bad_parameter'] as const) {
      expect([HTTP_STATUS[code], EXIT_CODES[code]]).toEqual([400, 2]);
    }
    expect([HTTP_STATUS.bad_input, EXIT_CODES.bad_input]).toEqual([400, 2]);
    expect([HTTP_STATUS.too_large, EXIT_CODES.too_large]).toEqual([413, 2]);
    expect([HTTP_STATUS.not_found, EXIT_CODES.not_found]).toEqual([404, 1]);
    expect([HTTP_STATUS.conflict, EXIT_CODES.conflict]).toEqual([409, 1]);
    expect([HTTP_STATUS.store_unavailable, EXIT_CODES.store_unavailable]).toEqual([503, 75]);
    expect([HTTP_STATUS.access_log_unavailable, EXIT_CODES.access_log_unavailable]).toEqual([503, 75]);
  });
});
