import { Command, InvalidArgumentError } from 'commander';
import { DOMAIN_CODES, DomainError, type DomainCode } from '../core/domain-error.js';
import { EXIT_CODES } from './exit-codes.js';
import { ConfigError, loadConfig } from '../config.js';
import { serve } from '../service/server.js';
import { formatHelp } from '../parse/registry.js';
import { auditVerify, tokenCreate, tokenList, tokenRevoke } from './admin.js';
import { ingestCommand } from './ingest.js';
import { parseCommand } from './parse.js';
import { resolveCommand } from './resolve.js';
import { registerRetentionCommands } from './retention.js';
import { registerReportCommands } from './report.js';
import { resolveCsvCommand } from './resolve-csv.js';

const exitHelp = () => {
  const byExit = new Map<number, DomainCode[]>();
  for (const code of Object.keys(DOMAIN_CODES) as DomainCode[]) byExit.set(EXIT_CODES[code], [...(byExit.get(EXIT_CODES[code]) ?? []), code]);
  const lines = [...byExit].sort(([a], [b]) => a - b).map(([exit, codes]) => `  ${String(exit).padEnd(3)} ${codes.join(', ')}`);
  return `\nexit codes:\n  0   done\n${lines.join('\n')}\n  (2 also for a bad setting, option or unreadable file)`;
};

const program = new Command();
program.name('whohad').description('Carrier-grade NAT attribution: who had a public IP and port at an instant.').showHelpAfterError();
program.addHelpText('after', exitHelp());

const defaultUrl = () => process.env.WHOHAD_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;

program
  .command('serve')
  .description('run the HTTP service (with an embedded Redis unless REDIS_URL or REDIS_CLUSTER_NODES is set)')
  .option('--workers <n>', 'service processes sharing the port (node:cluster); the embedded Redis is started once', positiveInt)
  .action(async (o: { workers?: number }) => {
    if (o.workers && o.workers > 1) {
      const { runWorkers } = await import('../service/workers.js');
      await runWorkers(o.workers);
    } else await serve(loadConfig());
  });

program
  .command('resolve')
  .description("ask the running service who had ip:port at an instant; prints the service's JSON answer")
  .requiredOption('--ip <ip>', 'public address')
  .option('--port <port>', 'source port')
  .requiredOption('--at <time>', 'ISO 8601 with Z or offset, epoch s/ms, or local time with --tz')
  .option('--tz <zone>', 'IANA zone for a local time, e.g. Europe/Copenhagen')
  .option('--tolerance <seconds>', 'seconds either side of --at')
  .requiredOption('--case <ref>', 'case reference the look-up belongs to')
  .requiredOption('--legal-basis <basis>', 'legal basis, e.g. court-order (the service lists the accepted ones)')
  .requiredOption('--purpose <text>', 'what the look-up is for')
  .option('--token <token>', 'investigator token (default WHOHAD_TOKEN)', process.env.WHOHAD_TOKEN)
  .option('--url <url>', 'service URL', defaultUrl())
  .action(async (o) => {
    process.exitCode = await resolveCommand(o);
  });

const token = program.command('token').description('API tokens: who may ingest, resolve, audit or administer');
token
  .command('create')
  .description('create a token and print it (shown only once; stored as a hash)')
  .requiredOption('--name <name>', 'the person or system it belongs to')
  .requiredOption('--role <roles>', 'comma-separated: ingest, investigator, auditor, admin')
  .action(async (o) => {
    process.exitCode = await tokenCreate(o);
  });
token.command('list').description('list tokens (names, ids, roles; never the tokens)').action(async () => {
  process.exitCode = await tokenList();
});
token
  .command('revoke')
  .description('revoke the token of NAME; it is refused from the next request on')
  .argument('<name>')
  .action(async (name) => {
    process.exitCode = await tokenRevoke(name);
  });

program
  .command('audit')
  .description('access log')
  .command('verify')
  .description('recompute the hash chain of the access log and name the first broken record')
  .action(async () => {
    process.exitCode = await auditVerify();
  });

program
  .command('resolve-csv')
  .description('resolve every row of a CSV log (id, ip, port, timestamp columns) through the running service; writes one answer per row and prints the summary')
  .argument('<file>', 'CSV file with a header line')
  .option('-o, --output <file>', 'write the answer here (default: stdout)')
  .option('--tz <zone>', 'IANA zone for times without Z or an offset')
  .option('--tolerance <seconds>', 'seconds either side of each time')
  .requiredOption('--case <ref>', 'case reference the look-ups belong to')
  .requiredOption('--legal-basis <basis>', 'legal basis, e.g. court-order')
  .requiredOption('--purpose <text>', 'what the look-ups are for')
  .option('--token <token>', 'investigator token (default WHOHAD_TOKEN)', process.env.WHOHAD_TOKEN)
  .option('--format <format>', 'csv (default) or ndjson')
  .option('--url <url>', 'service URL', defaultUrl())
  .action(async (file, o) => {
    process.exitCode = await resolveCsvCommand(file, o);
  });

registerRetentionCommands(program);
registerReportCommands(program);

const formats = `formats:\n${formatHelp.map((f) => `  ${f.name.padEnd(18)} ${f.summary}`).join('\n')}`;

program
  .command('ingest')
  .description('parse files (or - for standard input) and store their events in Redis (REDIS_URL, else the embedded one)')
  .argument('<files...>')
  .option('--format <format>', 'input format (default: the configured source\'s, else canonical)')
  .option('--config <file>', 'source configuration (YAML or JSON, see docs/sources.md)')
  .option('--source <name>', 'the configured source these files come from')
  .option('--rejects <file>', 'keep every rejected line with its reason (NDJSON)')
  .option('--follow', 'keep reading the files as they grow, across rotation; resumes where it stopped')
  .option('--state <dir>', 'where --follow keeps its positions (default WHOHAD_DATA_DIR/follow)')
  .addHelpText('after', `\n${formats}`)
  .action(async (files, o) => {
    process.exitCode = await ingestCommand(files, o);
  });

program
  .command('parse')
  .description('print the canonical events of files (or -) as NDJSON; rejects go to stderr as file:line: reason. No Redis needed')
  .argument('<files...>')
  .option('--format <format>', 'input format (default: the configured source\'s, else canonical)')
  .option('--config <file>', 'source configuration (YAML or JSON, see docs/sources.md)')
  .option('--source <name>', 'the configured source these files come from')
  .option('--rejects <file>', 'also keep every rejected line with its reason (NDJSON)')
  .addHelpText('after', `\n${formats}`)
  .action(async (files, o) => {
    process.exitCode = await parseCommand(files, o);
  });

program
  .command('collect')
  .description('receive syslog (UDP/TCP, RFC 3164/5424, RFC 6587 framing) and IPFIX live, parse by source and store in Redis until SIGINT/SIGTERM')
  .option('--syslog <url>', 'listen for syslog: udp://HOST:PORT or tcp://HOST:PORT (repeatable)', (v: string, p: string[]) => [...p, v], [])
  .option('--ipfix <url>', 'listen for IPFIX / NetFlow v9: udp://HOST:PORT (repeatable)', (v: string, p: string[]) => [...p, v], [])
  .option('--config <file>', 'source configuration (YAML or JSON, see docs/sources.md): routes messages by host')
  .option('--rejects <file>', 'where rejected and dropped messages are appended (NDJSON; default WHOHAD_DATA_DIR/collect-rejects.ndjson)')
  .option('--unmatched <policy>', 'messages of hosts no source matches: auto (detect the format per host) or reject', 'auto')
  .option('--stats-every <seconds>', 'print counters this often (0: only at exit and on SIGUSR1)', '60')
  .option('--max-pending <events>', 'events queued for Redis before TCP is paused and UDP dropped (default 100000)')
  .addHelpText('after', '\nsee docs/collect.md')
  .action(async (o) => {
    const { collectCommand } = await import('./collect.js');
    process.exitCode = await collectCommand(o);
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
    // a fatal error (bad setting, unreadable file, Redis unreachable) is one line the user can act on
    if (err instanceof DomainError) {
      process.stderr.write(`whohad: ${err.text}\n`);
      process.exit(EXIT_CODES[err.code]);
    }
    const e = err as NodeJS.ErrnoException;
    if (err instanceof ConfigError || e.code === 'ENOENT' || e.code === 'EACCES' || e.name === 'SourceConfigError' || e.name === 'SigningKeyError' || /unknown format|--source|--follow|ECONNREFUSED|redis-server/.test(e.message)) {
      process.stderr.write(`whohad: ${e.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export { program };
