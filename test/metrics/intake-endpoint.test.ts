import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../../commands.js';
import { parseMetricsListen } from '../../intake/metrics-server.js';
import { closeClient } from '../../redis/client.js';
import { buildApp } from '../../service/app.js';
import { loadConfig } from '../../config.js';
import { until } from '../faults/helpers.js';
import { BROKEN, collectForFile, JUNIPER } from './collect-process.js';
import { sample } from './sample.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'cli-child.ts');
const file = collectForFile();

describe('collect --metrics-listen', () => {
  it('serves the process\'s own counts per source, Redis round trips and process metrics', async () => {
    await file.collect.send([...JUNIPER, BROKEN]);
    const text = await until('three events stored and one reject counted', async () => {
      const t = await (await fetch(file.collect.metricsUrl)).text();
      return sample(t, 'whohad_intake_events_total', { source: 'srx' }) === 3 && sample(t, 'whohad_intake_received_total', { source: 'srx' }) === 4 ? t : undefined;
    }, 500, 20);
    const rejected = text.split('\n').filter((l) => l.startsWith('whohad_intake_rejected_total{source="srx"'));
    expect(rejected.map((l) => Number(l.split(' ').pop())).reduce((a, b) => a + b, 0)).toBe(1);
    expect(sample(text, 'whohad_intake_pending_events', { source: 'srx' })).toBe(0);
    expect(sample(text, 'whohad_intake_overloaded')).toBe(0);
    expect(sample(text, 'whohad_intake_last_event_timestamp_seconds', { source: 'srx' })).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(text).toMatch(/^whohad_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^whohad_redis_commands_total\{command="evalsha"\} \d+/m);
    expect((await fetch(file.collect.metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('and the service shows the same counts, read from Redis', async () => {
    const redis = connectRedis(file.url);
    // a scraper on the same host, as the loopback setting allows
    const app = await buildApp({ config: loadConfig({ WHOHAD_METRICS_LOOPBACK: 'true' }), redis, logger: false });
    try {
      const text = await until('the collector\'s counts in Redis', async () => {
        const t = (await app.inject({ url: '/metrics' })).body;
        return sample(t, 'whohad_source_events_total', { source: 'srx' }) === 3 ? t : undefined;
      }, 300, 50);
      expect(sample(text, 'whohad_source_received_total', { source: 'srx' })).toBe(4);
      const rejected = text.split('\n').filter((l) => l.startsWith('whohad_source_rejected_total{source="srx"'));
      expect(rejected.map((l) => Number(l.split(' ').pop())).reduce((a, b) => a + b, 0)).toBe(1);
      // the collector's own spool of received lines, as it reports it
      expect(text).toMatch(/^whohad_ingest_process_spool_bytes\{process="collect@[^"]+"\} \d+$/m);
    } finally {
      await app.close();
      await closeClient(redis);
    }
  });

  it('stops cleanly on SIGTERM, closing the metrics port', async () => {
    expect(await file.collect.stop()).toBe(0);
    await expect(fetch(file.collect.metricsUrl)).rejects.toThrow();
  });
});

describe('--metrics-listen refuses what it cannot serve', () => {
  it('names the option and what was wrong', () => {
    expect(parseMetricsListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(() => parseMetricsListen('9464')).toThrow('--metrics-listen "9464": expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464');
    expect(() => parseMetricsListen('http://127.0.0.1:9464')).toThrow(/expected HOST:PORT/);
    expect(() => parseMetricsListen('127.0.0.1:99999')).toThrow('--metrics-listen "127.0.0.1:99999": port 99999 is not 0-65535');
  });

  it('collect: exit 2 with one line naming the option', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, 'collect', '--syslog', 'udp://127.0.0.1:0', '--metrics-listen', 'nowhere'], {
      env: { ...process.env, REDIS_URL: file.url },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('whohad: --metrics-listen "nowhere": expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464');
  });

  it('ingest: only with --follow', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, 'ingest', '--metrics-listen', '127.0.0.1:0', CHILD], {
      env: { ...process.env, REDIS_URL: file.url },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^whohad: --metrics-listen serves a running process: use it with --follow/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
