import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs the whohad CLI in a process of its own, as an operator would, from the sources. */

const ENTRY = fileURLToPath(new URL('./whohad.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** For commands that run until a signal: SIGTERM once the output matches this. */
  stopWhen?: RegExp;
  /** Called once with the child, e.g. to send it packets once it listens. */
  onOutput?: (all: string, child: ReturnType<typeof spawn>) => void;
  timeoutMs?: number;
}

export function whohad(args: string[], o: CliOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, WHOHAD_DEBUG: '', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let stopped = false;
  const seen = () => {
    o.onOutput?.(stdout + stderr, child);
    if (!stopped && o.stopWhen?.test(stdout + stderr)) {
      stopped = true;
      child.kill('SIGTERM');
    }
  };
  child.stdout!.on('data', (d) => ((stdout += d), seen()));
  child.stderr!.on('data', (d) => ((stderr += d), seen()));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on: taken, then given back. */
export function closedPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

export const tempDir = (prefix = 'whohad-cli-') => mkdtempSync(join(tmpdir(), prefix));
