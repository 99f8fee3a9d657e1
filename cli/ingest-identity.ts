import { userInfo } from 'node:os';
import type { HostIngest } from '../audit/provenance.js';
import type { Config } from '../config.js';

// what events/wire.ts refuses in a stored name; a name read from the host gets no better treatment
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * The operator behind `whohad ingest` (and any CLI command): the user sudo was run by, else the process's own. It is
 * what the host says, not a proof: whoever may run the command may also reach Redis directly.
 */
export function cliIngest(env: NodeJS.ProcessEnv = process.env): HostIngest {
  return { path: 'cli', user: operatorName(env) };
}

/** The access log's name for whoever ran a command on this machine. */
export const cliUser = (env: NodeJS.ProcessEnv = process.env): string => `cli:${operatorName(env)}`;

function operatorName(env: NodeJS.ProcessEnv): string {
  let user = env.SUDO_USER || '';
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      // a container's uid without a passwd entry
      user = '';
    }
  }
  if (!user || user.length > 128 || UNSAFE.test(user)) user = `uid:${process.getuid?.() ?? 'unknown'}`;
  return user;
}

/** The collector by its instance name (WHOHAD_INSTANCE, validated by config.ts). */
export const collectorIngest = (config: Pick<Config, 'instance'>): HostIngest => ({ path: 'collector', collector: config.instance });
