import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./cli-child.ts', import.meta.url));

/** A `whohad` command running in a child process, its output collected as it comes. */
export interface CliProcess {
  child: ChildProcess;
  out: string;
  err: string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
}

export function runCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: CliProcess = {
    child,
    out: '',
    err: '',
    exited: new Promise((done) => child.once('exit', (code, signal) => done(code ?? signal ?? -1))),
  };
  child.stdout!.on('data', (d) => (p.out += d));
  child.stderr!.on('data', (d) => (p.err += d));
  return p;
}
