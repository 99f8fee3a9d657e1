import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { until } from '../faults/helpers.js';
import { testRedisUrl } from '../helpers/redis.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'cli-child.ts');

// Lines as the parser tests have them (test/parse/formats/juniper-pba.test.ts).
const SD = (tag: string, used: number, epoch: string) =>
  `${tag} [junos@2636.1.1.1.2.129 internal-ip="100.64.7.20" block-used="${used}" block-max-per-host="8" block-port-low="20480" block-port-high="20607" reflexive-ip="198.51.100.44" nat-pool-name="cgn-pool" logical-system-id="0" epoch-time-64="${epoch}"]`;
const SRX = (time: string, body: string) => `<14>1 ${time} srx-cgn-2 RT_NAT - ${body}`;
export const JUNIPER = [
  SRX('2026-03-14T10:26:54.120+01:00', SD('RT_SRC_NAT_PBA_ALLOC', 1, '69b529dd')),
  SRX('2026-03-14T09:56:53.000Z', SD('RT_SRC_NAT_PBA_INTERIM', 1, '69b529dd')),
  SRX('2026-03-14T09:59:59.000Z', SD('RT_SRC_NAT_PBA_RELEASE', 0, '69b5319e')),
];
/** A message of the source that its parser refuses. */
export const BROKEN = SRX('2026-03-14T10:00:00.000Z', 'RT_SRC_NAT_PBA_ALLOC [junos@2636.1.1.1.2.129 internal-ip="not-an-ip"]');

export interface CollectProcess {
  child: ChildProcess;
  output: () => string;
  syslogPort: number;
  metricsUrl: string;
  send(lines: string[]): Promise<void>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/** `whohad collect` as a real process on 127.0.0.1, with one configured Juniper source and --metrics-listen. */
export async function startCollectProcess(redisUrl: string, extra: string[] = []): Promise<CollectProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'whohad-collect-metrics-'));
  const config = join(dir, 'sources.yaml');
  writeFileSync(config, 'defaults:\n  timezone: UTC\nsources:\n  - name: srx\n    format: juniper-pba\n    match: { host: "srx-cgn-*" }\n    options: { natInstance: srx-cgn-2 }\n');
  let out = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, 'collect', '--syslog', 'udp://127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--config', config, '--rejects', join(dir, 'rejects.ndjson'), '--stats-every', '0', ...extra],
    { env: { ...process.env, REDIS_URL: redisUrl, WHOHAD_DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const ports = await until(`collect listening (output so far: ${out})`, () => {
    const s = /listening: syslog udp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    const m = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(out);
    if (child.exitCode !== null) throw new Error(`collect exited ${child.exitCode}: ${out}`);
    return s && m ? { syslog: Number(s[1]), metrics: m[1] } : undefined;
  }, 3000, 10);
  return {
    child,
    output: () => out,
    syslogPort: ports.syslog,
    metricsUrl: ports.metrics,
    async send(lines) {
      const s = createSocket('udp4');
      for (const l of lines) await new Promise<void>((done, fail) => s.send(l, ports.syslog, '127.0.0.1', (err) => (err ? fail(err) : done())));
      s.close();
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * One collect process for the tests of a file: started before them on a database of the file's
 * own, stopped after them (a test may stop it earlier itself). The fields are set once started.
 */
export function collectForFile(): { url: string; collect: CollectProcess } {
  const file = {} as { url: string; collect: CollectProcess };
  beforeAll(async () => {
    file.url = await testRedisUrl();
    file.collect = await startCollectProcess(file.url);
  });
  afterAll(async () => {
    await file.collect?.stop();
  });
  return file;
}
