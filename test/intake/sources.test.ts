import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autoHostsZoneProblem, globToRegExp, loadSourceConfig, optionsFor, parseSourceConfig, SourceConfigError, sourceFor } from '../../intake/sources.js';

const GOOD = `# sources for the lab
defaults:
  timezone: UTC
  vrf: default
sources:
  - name: srx-cph
    format: juniper-pba
    match: { host: srx-cgn-*.cph }
    options:
      natInstance: srx-cgn-1
      timezone: Europe/Copenhagen
  - name: kea
    format: kea-csv
    match:
      path: /var/lib/kea/kea-leases4.csv*
    options:
      subscriberKey: circuitId
  - name: radius
    format: radius-detail
    match: { path: "detail-*" }
    options: { subscriberKey: username, vrf: bng }
  - name: manual
    format: auto
`;

function problems(text: string): SourceConfigError {
  try {
    parseSourceConfig(text, 'sources.yaml');
  } catch (err) {
    if (err instanceof SourceConfigError) return err;
    throw err;
  }
  throw new Error('expected the configuration to be refused');
}

describe('source configuration', () => {
  it('loads a valid YAML file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whohad-config-'));
    writeFileSync(join(dir, 'sources.yaml'), GOOD);
    const c = await loadSourceConfig(join(dir, 'sources.yaml'));
    expect(c.sources.map((s) => s.name)).toEqual(['srx-cph', 'kea', 'radius', 'manual']);
    expect(c.defaults).toEqual({ timezone: 'UTC', vrf: 'default' });
  });

  it('loads JSON too', () => {
    const c = parseSourceConfig(JSON.stringify({ sources: [{ name: 'a', format: 'nokia', options: { interimIntervalS: 300, timezone: 'UTC' } }] }), 'sources.json');
    expect(c.sources[0].options).toEqual({ interimIntervalS: 300, timezone: 'UTC' });
  });

  it('names the file, the path and the line of unknown fields, with a suggestion', () => {
    const e = problems(GOOD.replace('      timezone: Europe/Copenhagen', '      timzone: Europe/Copenhagen').replace('    format: kea-csv', '    formt: kea-csv'));
    expect(e.problems).toEqual([
      expect.objectContaining({ path: 'sources[0].options.timzone', line: 11, column: 7, message: expect.stringMatching(/^unknown field "timzone" \(did you mean "timezone"\?\); known fields: natInstance, timezone/) }),
      expect.objectContaining({ path: 'sources[1]', line: 12, message: 'missing field "format"' }),
      expect.objectContaining({ path: 'sources[1].formt', line: 13, message: expect.stringContaining('unknown field "formt" (did you mean "format"?)') }),
    ]);
    expect(e.message).toMatch(/^invalid source configuration sources\.yaml:\n  sources\.yaml:11:7: sources\[0\]\.options\.timzone: unknown field "timzone"/);
  });

  it('says which values a choice allows and what types are wrong', () => {
    const e = problems('sources:\n  - name: k\n    format: kea-csv\n    options: { subscriberKey: circuit-id, year: "2026" }\ndefaults: { ipfixNatEventNumbering: cisco }\n');
    expect(e.problems.map((p) => [p.path, p.line, p.message])).toEqual([
      ['sources[0].options.subscriberKey', 4, 'must be one of "circuitId", "remoteId", "mac", "clientId", "username", "duid", "hostname", got "circuit-id"'],
      ['sources[0].options.year', 4, 'must be integer, got "2026"'],
      ['defaults.ipfixNatEventNumbering', 5, 'must be one of "rfc8158", "juniper", "cisco-iosxr", got "cisco"'],
    ]);
  });

  it('refuses unknown zones, unknown formats and duplicate names', () => {
    const e = problems(GOOD.replace('Europe/Copenhagen', 'Europe/Kopenhagen').replace('format: auto', 'format: juniper').replace('name: manual', 'name: kea'));
    expect(e.problems.map((p) => [p.path, p.message.slice(0, 60)])).toEqual([
      ['sources[0].options.timezone', 'unknown time zone "Europe/Kopenhagen" (use an IANA name such'],
      ['sources[3].name', '"kea" is already the name of sources[1]'],
      ['sources[3].format', 'unknown format "juniper"; valid formats: 6wind, a10, cisco-a'],
    ]);
    expect(problems('defaults: { timezone: CEST }\nsources: []\n').problems[0]).toMatchObject({ path: 'defaults.timezone', line: 1 });
  });

  it('refuses a source whose format reads zone-less times when neither it nor defaults sets a zone', () => {
    const noDefault = GOOD.replace('defaults:\n  timezone: UTC\n  vrf: default\n', '');
    const e = problems(noDefault);
    expect(e.problems.map((p) => [p.path, p.line, p.message])).toEqual([
      ['sources[2].format', 16, 'format radius-detail reads record header times (server local time, no zone), and no timezone is set: set timezone for it (the zone of the device\'s clock, or UTC if it logs UTC), in its options or in defaults'],
      ['sources[3].format', 20, 'format auto may choose a format whose times carry no zone (BSD syslog header times (RFC 3164 headers carry no zone)), and no timezone is set: set timezone for it (the zone of the device\'s clock, or UTC if it logs UTC), in its options or in defaults'],
    ]);
    // the juniper-pba source sets its own zone, and Kea CSV times are epoch seconds: both fine
    expect(() => parseSourceConfig(`defaults: { timezone: Europe/Copenhagen }\n${noDefault}`)).not.toThrow();
  });

  it('says when unconfigured hosts read by auto would have no zone', () => {
    expect(autoHostsZoneProblem(null)).toMatch(/^hosts that match no configured source are read with auto and get only defaults, and defaults set no timezone: set defaults.timezone/);
    expect(autoHostsZoneProblem(parseSourceConfig('sources: []\n'))).not.toBeNull();
    expect(autoHostsZoneProblem(parseSourceConfig(GOOD))).toBeNull();
  });

  it('reads a VRF map and refuses one that is not a map of names', () => {
    const c = parseSourceConfig('sources:\n  - { name: nf, format: nfware, options: { timezone: UTC, vrfMap: { "0": default, "7": Broadband } } }\n');
    expect(c.sources[0].options?.vrfMap).toEqual({ 0: 'default', 7: 'Broadband' });
    const e = problems('sources:\n  - { name: nf, format: nfware, options: { timezone: UTC, vrfMap: { "0": "" } } }\n  - { name: n2, format: nfware, options: { timezone: UTC, vrfMap: [a] } }\n');
    expect(e.problems.map((p) => [p.path, p.line])).toEqual([['sources[0].options.vrfMap.0', 2], ['sources[1].options.vrfMap', 3]]);
  });

  it('reports YAML syntax errors and empty or misshapen files with their place', () => {
    expect(problems('sources:\n  - name: a\n   format: x\n').problems).toEqual([expect.objectContaining({ path: '', message: 'Sequence item without - indicator', line: 3 })]);
    expect(problems('sources: []\nsources: []\n').problems).toEqual([expect.objectContaining({ message: 'Map keys must be unique', line: 2 })]);
    expect(problems('').problems[0].message).toContain('empty');
    expect(problems('sources: {}\n').problems).toEqual([expect.objectContaining({ path: 'sources', message: 'must be a list of sources', line: 1 })]);
    expect(problems('source: []\n').problems.map((p) => p.message)).toEqual(['unknown field "source" (did you mean "sources"?)', 'missing field "sources" (a list, may be empty)']);
  });

  it('merges defaults with the matching source, by name, host or path', () => {
    const c = parseSourceConfig(GOOD);
    expect(optionsFor(c, { name: 'srx-cph' })).toEqual({ timezone: 'Europe/Copenhagen', vrf: 'default', natInstance: 'srx-cgn-1' });
    expect(optionsFor(c, { host: 'SRX-CGN-7.cph' })).toMatchObject({ natInstance: 'srx-cgn-1' });
    expect(optionsFor(c, { path: '/var/lib/kea/kea-leases4.csv.2' })).toEqual({ timezone: 'UTC', vrf: 'default', subscriberKey: 'circuitId' });
    expect(optionsFor(c, { path: '/srv/radacct/10.0.0.1/detail-20260101' })).toEqual({ timezone: 'UTC', vrf: 'bng', subscriberKey: 'username' });
    expect(sourceFor(c, { path: '/tmp/other.log' })).toBeUndefined();
    expect(optionsFor(c, { path: '/tmp/other.log' })).toEqual({ timezone: 'UTC', vrf: 'default' });
    // A source with no match is only found by name.
    expect(sourceFor(c, { host: 'anything' })).toBeUndefined();
    expect(sourceFor(c, { name: 'manual' })?.format).toBe('auto');
  });

  it('globs: * within a segment, ** across, {a,b} and classes', () => {
    expect(globToRegExp('/var/log/*.log').test('/var/log/a.log')).toBe(true);
    expect(globToRegExp('/var/log/*.log').test('/var/log/x/a.log')).toBe(false);
    expect(globToRegExp('/var/**/a.log').test('/var/log/x/a.log')).toBe(true);
    expect(globToRegExp('/var/**/a.log').test('/var/a.log')).toBe(true);
    expect(globToRegExp('kea-leases{4,6}.csv').test('kea-leases6.csv')).toBe(true);
    expect(globToRegExp('detail-[0-9]*').test('detail-2026')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});

describe('docs/sources.md', () => {
  const md = readFileSync(new URL('../../docs/sources.md', import.meta.url), 'utf8');
  const example = md.split('```yaml\n')[1].split('```')[0];

  it('has an example that loads, with the options it describes', () => {
    const c = parseSourceConfig(example, 'sources.yaml');
    expect(optionsFor(c, { host: 'SRX-CGN-2.cph.example.net' })).toEqual({ timezone: 'Europe/Copenhagen', vrf: 'default', natInstance: 'srx-cgn-2', interimIntervalS: 3600 });
    expect(optionsFor(c, { path: '/var/lib/kea/kea-leases4.csv.2' })).toMatchObject({ subscriberKey: 'circuitId', vrf: 'subscribers', timezone: 'UTC' });
    expect(optionsFor(c, { path: '/var/log/freeradius/radacct/10.0.0.1/detail-20260101' })).toMatchObject({ subscriberKey: 'username', timezone: 'Europe/Copenhagen' });
  });

  it('shows the errors the loader really gives', () => {
    const shown = md.split('```\ninvalid source configuration')[1].split('```')[0];
    const bad = example
      .replace('      timezone: Europe/Copenhagen       # the box', '      timzone: Europe/Copenhagen       # the box')
      .replace('subscriberKey: circuitId', 'subscriberKey: circuit-id')
      .replace('timezone: Europe/Copenhagen       # for the', 'timezone: Europe/Kopenhagen       # for the');
    expect(() => parseSourceConfig(bad, 'sources.yaml')).toThrow(`invalid source configuration${shown.trimEnd()}`);
  });
});
