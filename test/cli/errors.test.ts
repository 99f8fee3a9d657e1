import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { program } from '../../cli/main.js';
import { closedPort, tempDir, whohad, type CliRun } from './run.js';

/**
 * No stack trace reaches a user: every command of the CLI, listed from the program itself so a
 * new command is covered without touching this test, run against a Redis and a service that are
 * not there and given a file that is not there. Each ends with one line on stderr that says what
 * was wrong, and a documented exit code.
 */

/** Every command that does something (not the groups), as its words: ['hold', 'lift']. */
function leaves(c: Command, path: string[] = []): string[][] {
  const subs = c.commands.filter((s) => s.name() !== 'help');
  if (subs.length === 0) return [path];
  return subs.flatMap((s) => leaves(s, [...path, s.name()]));
}

function commandAt(path: string[]): Command {
  let c: Command = program;
  for (const word of path) c = c.commands.find((s) => s.name() === word)!;
  return c;
}

/** Plausible values for the options commands require, so each gets as far as it can. */
const VALUES: Record<string, string> = {
  '--ip': '198.51.100.7',
  '--at': '2026-10-25T01:30:00Z',
  '--case': 'C-ERR',
  '--legal-basis': 'court-order',
  '--purpose': 'error test',
  '--name': 'nobody',
  '--role': 'investigator',
  '--from': '2026-01-01T00:00:00Z',
  '--to': '2026-02-01T00:00:00Z',
};

/** Commands that run until a signal: stopped with SIGTERM once they say they are up (their last start-up line). */
const LONG_RUNNING: Record<string, { args: string[]; up: RegExp }> = {
  serve: { args: [], up: /whohad listening on/ },
  collect: { args: ['--syslog', 'udp://127.0.0.1:0', '--ipfix', 'udp://127.0.0.1:0'], up: /^rejects: /m },
};

function argsFor(path: string[], file: string): string[] {
  const c = commandAt(path);
  const args = [...path];
  for (const a of c.registeredArguments) args.push(...(a.variadic ? [file] : [/file|files/.test(a.name()) ? file : 'no-such-id']));
  for (const o of c.options) if (o.mandatory && o.long) args.push(o.long, VALUES[o.long] ?? 'x');
  args.push(...(LONG_RUNNING[path[0]]?.args ?? []));
  if (c.options.some((o) => o.long === '--token')) args.push('--token', 'not-a-token');
  return args;
}

/** Exit codes `whohad --help` documents. */
let documented: number[];
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  let help = '';
  program.configureOutput({ writeOut: (s) => (help += s) });
  program.outputHelp();
  documented = [...help.matchAll(/^ {2}(\d+) {2,}/gm)].map((m) => Number(m[1]));
  dir = tempDir();
  const redisPort = await closedPort();
  const httpPort = await closedPort();
  env = {
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    WHOHAD_URL: `http://127.0.0.1:${httpPort}`,
    WHOHAD_DATA_DIR: join(dir, 'data'),
    PORT: '0',
    HOST: '127.0.0.1',
  };
  writeFileSync(join(dir, 'one.ndjson'), '{"kind":"lease","event":"start","at":"2026-10-25T01:00:00Z","ip":"100.64.0.1","subscriberId":"s1","expiresAt":"2026-10-26T01:00:00Z"}\n');
});

function expectOneLineEnding(r: CliRun, what: string) {
  const all = `${r.stdout}\n${r.stderr}`.split('\n');
  expect(all.filter((l) => l.startsWith('    at ')), `${what}: stack lines`).toEqual([]);
  expect(all.filter((l) => l.includes('[ioredis]')), `${what}: ioredis noise`).toEqual([]);
  expect(r.signal, `${what}: killed (it hung?)\n${r.stderr}`).toBeNull();
  expect(documented, `${what}: exit ${r.code} is not in whohad --help\n${r.stderr}`).toContain(r.code);
  if (r.code !== 0) {
    const last = r.stderr.trimEnd().split('\n').at(-1) ?? '';
    expect(last, `${what}: the last line names what was wrong`).toMatch(/^whohad[\w -]*: \S.{10,}/);
  }
}

const all = leaves(program);

describe('every CLI command, with nothing to talk to', () => {
  it('lists the commands from the program', () => {
    expect(all.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['serve', 'ingest', 'parse', 'collect', 'token revoke', 'hold lift', 'audit verify', 'purge']));
    expect(documented).toEqual(expect.arrayContaining([0, 1, 2, 75]));
  });

  for (const path of all) {
    const name = path.join(' ');
    it.concurrent(`${name}: against an unreachable Redis and service, and with a missing file`, async () => {
      const stopWhen = LONG_RUNNING[path[0]]?.up;
      const unreachable = await whohad(argsFor(path, join(dir, 'one.ndjson')), { env, stopWhen });
      expectOneLineEnding(unreachable, `${name} (unreachable)`);
      const missing = await whohad(argsFor(path, join(dir, 'missing.log')), { env, stopWhen });
      expectOneLineEnding(missing, `${name} (missing file)`);
    }, 120_000);
  }
});
