import { ConfigError, loadConfig } from '../config.js';
import { DomainError } from '../core/domain-error.js';
import { isTransientError } from '../redis/errors.js';
import { EXIT_CODES } from './exit-codes.js';
import { unreachable } from './store.js';

/**
 * How a command that could not finish ends: one line on standard error saying what was wrong
 * and what to do, and an exit code `whohad --help` lists. A stack trace helps nobody running
 * the command, so it is printed only with WHOHAD_DEBUG=1.
 */

export { EXIT_CODES };

/** EX_DATAERR: the input was read, but nothing of it was stored, or more was rejected than allowed. */
export const EXIT_DATA = 65;
/** EX_SOFTWARE: whohad itself failed; the message says to report it. */
export const EXIT_BUG = 70;

/** A command line or input the command cannot work with (exit 2); the message says what to do. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Errors of the operator's making, by `err.name`: a fix of the input or configuration, exit 2. */
const USAGE_NAMES = new Set(['UsageError', 'SourceConfigError', 'PcapFormatError', 'InvalidArgumentError', 'SigningKeyError']);

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory: check the path',
  EACCES: 'permission denied: check who may read or write it',
  EISDIR: 'is a directory: give a file',
  ENOTDIR: 'a part of the path is not a directory: check the path',
  EADDRINUSE: 'the address is already in use: stop what listens there or choose another port',
  EADDRNOTAVAIL: 'no interface has that address: listen on one this machine has',
};

export interface Ending {
  exit: number;
  /** One line, without the `whohad: ` prefix or the line end. */
  message: string;
}

export function ending(err: unknown): Ending {
  if (err instanceof DomainError) return { exit: EXIT_CODES[err.code], message: err.text };
  const e = (err instanceof Error ? err : new Error(String(err))) as NodeJS.ErrnoException & { address?: string; port?: number };
  if (err instanceof ConfigError || USAGE_NAMES.has(e.name)) return { exit: 2, message: e.message };
  if (e.code && FILE_ERRORS[e.code] && e.syscall !== 'connect') {
    const what = e.path ?? (e.address !== undefined ? `${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : undefined);
    return { exit: 2, message: `${what ? `${what}: ` : ''}${FILE_ERRORS[e.code]}` };
  }
  if (isTransientError(err)) {
    let config;
    try {
      config = loadConfig();
    } catch {
      config = { redisUrl: process.env.REDIS_URL ?? null, dataDir: process.env.WHOHAD_DATA_DIR ?? './data' };
    }
    return { exit: EXIT_CODES.store_unavailable, message: unreachable(config, err).text };
  }
  // redis-server missing or refusing to start: a machine to set up, not a bug
  if (/redis-server/.test(e.message)) return { exit: 2, message: e.message };
  return { exit: EXIT_BUG, message: `unexpected error: ${e.message}. This is a bug in whohad: report it with the command line (WHOHAD_DEBUG=1 shows where it happened)` };
}

/** Prints the ending of `err` and exits with its code. */
export function endWith(err: unknown): never {
  const { exit, message } = ending(err);
  if (process.env.WHOHAD_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.stderr.write(`whohad: ${message}\n`);
  process.exit(exit);
}
