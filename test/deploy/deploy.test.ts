import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testApp } from '../helpers/app.js';
import { testRedisUrl } from '../helpers/redis.js';
import { startCollectProcess, type CollectProcess } from '../metrics/collect-process.js';
import { families } from '../metrics/sample.js';

const DEPLOY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy');
const RULES = join(DEPLOY, 'prometheus', 'whohad-rules.yml');
const DASHBOARD = join(DEPLOY, 'grafana', 'whohad-dashboard.json');
const UNITS = join(DEPLOY, 'systemd');

const onPath = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** A Prometheus duration: 30s, 5m, 1h30m … (what `for` and `interval` take). */
const Duration = Type.String({ pattern: '^([0-9]+(ms|s|m|h|d|w|y))+$' });
const Labels = Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), Type.String());
const AlertRule = Type.Object(
  {
    alert: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    expr: Type.String({ minLength: 1 }),
    for: Type.Optional(Duration),
    keep_firing_for: Type.Optional(Duration),
    labels: Type.Optional(Labels),
    annotations: Type.Optional(Labels),
  },
  { additionalProperties: false },
);
const RecordingRule = Type.Object(
  { record: Type.String({ pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$' }), expr: Type.String({ minLength: 1 }), labels: Type.Optional(Labels) },
  { additionalProperties: false },
);
/** Prometheus's rule file format (prometheus.io/docs/prometheus/latest/configuration/recording_rules). */
const RuleFile = Type.Object(
  {
    groups: Type.Array(
      Type.Object(
        { name: Type.String({ minLength: 1 }), interval: Type.Optional(Duration), limit: Type.Optional(Type.Integer()), rules: Type.Array(Type.Union([AlertRule, RecordingRule]), { minItems: 1 }) },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);
const ruleFile = Compile(RuleFile);

const rules = parse(readFileSync(RULES, 'utf8')) as Static<typeof RuleFile>;
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
const exprs = () => [...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)), ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))];

/** The metric families a PromQL expression names (histogram series by their family). */
const named = (expr: string) => [...expr.matchAll(/\bwhohad_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''));

describe('deploy/prometheus: alert rules', () => {
  it('have the shape of a Prometheus rule file', () => {
    expect([...ruleFile.Errors(rules)].map((e) => `${e.instancePath}: ${e.message}`)).toEqual([]);
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => ('alert' in r ? r.alert : r.record)));
    expect(new Set(alerts).size).toBe(alerts.length);
    // what the operator asked to be told about
    expect(alerts).toEqual(expect.arrayContaining(['WhohadSourceSilent', 'WhohadRejectRatioHigh', 'WhohadSpoolGrowing', 'WhohadRedisErrors', 'WhohadAccessLogWriteFailures']));
  });

  it('the schema refuses a rule file with a mistake, naming where', () => {
    const broken = structuredClone(rules) as unknown as { groups: Array<{ rules: Array<Record<string, unknown>> }> };
    broken.groups[0].rules[0].for = '5 minutes';
    delete broken.groups[0].rules[1].expr;
    expect(ruleFile.Check(broken)).toBe(false);
    expect([...ruleFile.Errors(broken)].map((e) => e.instancePath)).toEqual(expect.arrayContaining(['/groups/0/rules/0/for']));
  });

  it.runIf(onPath('promtool'))('pass promtool check rules', () => {
    const r = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });
});

describe('deploy/grafana: the dashboard', () => {
  it('is a dashboard whose every panel queries Prometheus', () => {
    expect(dashboard.panels.length).toBeGreaterThan(8);
    for (const p of dashboard.panels) expect(p.targets.length, p.title).toBeGreaterThan(0);
  });
});

describe('every metric the rules and the dashboard name is exported', () => {
  let collect: CollectProcess;
  let exported: Set<string>;
  beforeAll(async () => {
    // a real service and a real collector process, scraped as Prometheus would
    const app = await testApp();
    const service = (await app.inject({ url: '/metrics', headers: app.auth })).body;
    collect = await startCollectProcess(await testRedisUrl());
    const collector = await (await fetch(collect.metricsUrl)).text();
    exported = new Set([...families(service), ...families(collector)]);
  });
  afterAll(async () => {
    await collect?.stop();
  });

  it('by the service or by a collector', () => {
    const names = [...new Set(exprs().flatMap(named))].sort();
    expect(names.length).toBeGreaterThan(15);
    expect(names.filter((n) => !exported.has(n))).toEqual([]);
  });
});

describe('deploy/systemd: units', () => {
  const units = readdirSync(UNITS).filter((f) => f.endsWith('.service'));

  it('for serve and collect, hardened', () => {
    expect(units.sort()).toEqual(['whohad-collect.service', 'whohad-serve.service']);
    for (const u of units) {
      const text = readFileSync(join(UNITS, u), 'utf8');
      for (const option of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'RestrictAddressFamilies=', 'SystemCallFilter=@system-service', 'CapabilityBoundingSet=']) {
        expect(text, `${u}: ${option}`).toContain(option);
      }
    }
  });

  it.runIf(onPath('systemd-analyze'))('verify with systemd-analyze, without a warning', () => {
    const r = spawnSync('systemd-analyze', ['verify', ...units.map((u) => join(UNITS, u))], { encoding: 'utf8' });
    // verify exits 0 even for unknown keys and bad values: any output is a finding
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
