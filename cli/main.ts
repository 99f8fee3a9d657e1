import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../service/config.js';
import { serve } from '../service/server.js';
import { resolveCommand } from './resolve.js';

const program = new Command();
program.name('whohad').description('Carrier-grade NAT attribution: who had a public IP and port at an instant.').showHelpAfterError();

const defaultUrl = () => process.env.WHOHAD_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;

program
  .command('serve')
  .description('run the HTTP service (with an embedded Redis unless REDIS_URL is set)')
  .action(async () => {
    await serve(loadConfig());
  });

program
  .command('resolve')
  .description("ask the running service who had ip:port at an instant; prints the service's JSON answer")
  .requiredOption('--ip <ip>', 'public address')
  .option('--port <port>', 'source port')
  .requiredOption('--at <time>', 'ISO 8601 with Z or offset, epoch s/ms, or local time with --tz')
  .option('--tz <zone>', 'IANA zone for a local time, e.g. Europe/Copenhagen')
  .option('--tolerance <seconds>', 'seconds either side of --at')
  .option('--url <url>', 'service URL', defaultUrl())
  .action(async (o) => {
    process.exitCode = await resolveCommand(o);
  });

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

export async function main(argv: string[]) {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`whohad: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export { program };
