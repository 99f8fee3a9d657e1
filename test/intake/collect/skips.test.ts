import { describe, expect, it, vi } from 'vitest';
import { connectRedis } from '../../../commands.js';
import { loadConfig } from '../../../config.js';
import { reasonLabel } from '../../../intake/source-stats.js';
import { closeClient } from '../../../redis/client.js';
import { buildApp } from '../../../service/app.js';
import { until } from '../../faults/helpers.js';
import { sample } from '../../metrics/sample.js';
import { collectForFile, JUNIPER } from '../../metrics/collect-process.js';

/**
 * A real `whohad collect` receiving over UDP on 127.0.0.1 lines its source's parser skips:
 * every skip keeps its reason, in the SIGUSR1 and final counters, on its own --metrics-listen,
 * and in the per-source counts in Redis that the service's /metrics shows.
 */

vi.setConfig({ testTimeout: 60_000 });

// lines a Junos box also logs, which the juniper-pba parser skips (test/parse/formats/juniper-pba.test.ts)
const SSHD = '<30>Mar 14 09:30:01 srx-cgn-2 sshd[411]: Accepted publickey for ops';
const ALARM = '<12>Mar 14 09:30:00 srx-cgn-2 RT_NAT: RT_SRC_NAT_SUBS_POOL_ALARM_RAISE: Subscriber ip: 100.64.7.20, Source NAT pool: cgn-pool, Pool type: PBA, threshold: 90%, current: 100%';
const NOT_JUNOS = 'not a Junos RT_SRC_NAT_PBA record';
const ALARM_REASON = 'RT_SRC_NAT_SUBS_POOL_ALARM_RAISE is not a port-block record';
const BY_REASON = `    skipped: 2 × ${NOT_JUNOS}; 1 × ${ALARM_REASON}`;

const file = collectForFile();

describe('collect: skips by reason', () => {
  it('SIGUSR1 prints each source\'s skips by reason under its counters', async () => {
    await file.collect.send([SSHD, ...JUNIPER, ALARM, SSHD]);
    file.collect.child.kill('SIGUSR1');
    const printed = await until('the counters with three skips', () => {
      file.collect.child.kill('SIGUSR1');
      const out = file.collect.output();
      return out.includes('srx: received 6, events 3, stored 3, rejected 0, skipped 3') ? out : undefined;
    }, 100, 50);
    expect(printed).toContain(`  srx: received 6, events 3, stored 3, rejected 0, skipped 3, dropped 0, pending 0\n${BY_REASON}\n`);
  });

  it('its own metrics count them by reason', async () => {
    const text = await (await fetch(file.collect.metricsUrl)).text();
    expect(sample(text, 'whohad_intake_skipped_total', { source: 'srx', reason: 'not_a_junos_rt_src_nat_pba_record' })).toBe(2);
    expect(sample(text, 'whohad_intake_skipped_total', { source: 'srx', reason: reasonLabel(ALARM_REASON) })).toBe(1);
    expect(sample(text, 'whohad_intake_skipped_total', { source: 'srx', reason: 'unclassified' })).toBe(0);
  });

  it('the final summary says the same, and the service shows the skips by reason from Redis', async () => {
    const before = file.collect.output().length;
    expect(await file.collect.stop()).toBe(0);
    const final = file.collect.output().slice(before);
    expect(final).toContain(`collect: final: received 6, events 3, stored 3, rejected 0, skipped 3, dropped 0, pending 0\n  srx: received 6, events 3, stored 3, rejected 0, skipped 3, dropped 0, pending 0\n${BY_REASON}\n`);
    const redis = connectRedis(file.url);
    const app = await buildApp({ config: loadConfig({ WHOHAD_METRICS_LOOPBACK: 'true' }), redis, logger: false });
    try {
      const text = (await app.inject({ url: '/metrics' })).body;
      expect(sample(text, 'whohad_source_skipped_total', { source: 'srx', reason: 'not_a_junos_rt_src_nat_pba_record' })).toBe(2);
      expect(sample(text, 'whohad_source_skipped_total', { source: 'srx', reason: reasonLabel(ALARM_REASON) })).toBe(1);
      // every skip has its reason: none is left unclassified
      expect(sample(text, 'whohad_source_skipped_total', { source: 'srx', reason: 'unclassified' })).toBe(0);
      expect(sample(text, 'whohad_source_received_total', { source: 'srx' })).toBe(6);
    } finally {
      await app.close();
      await closeClient(redis);
    }
  });
});
