import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DOMAIN_CODES, type DomainCode } from '../core/domain-error.js';
import { loadConfig } from '../config.js';
import { endWith, EXIT_BUG, EXIT_CODES, EXIT_DATA } from './fail.js';
import { serve } from '../service/server.js';
import { formatHelp } from '../parse/registry.js';
import { auditCheckpoint, auditVerify, tokenCreate, tokenList, tokenRevoke } from './admin.js';
import { ingestCommand } from './ingest.js';
import { parseCommand } from './parse.js';
import { resolveCommand } from './resolve.js';
import { registerNatConfigCommands } from './natconfig.js';
import { registerRetentionCommands } from './retention.js';
import { registerReportCommands } from './report.js';
import { resolveCsvCommand } from './resolve-csv.js';

export { EXIT_CODES };

const exitHelp = () => {
  const byExit = new Map<number, string>();
  for (const code of Object.keys(DOMAIN_CODES) as DomainCode[]) {
    const exit = EXIT_CODES[code];
    byExit.set(exit, byExit.has(exit) ? `${byExit.get(exit)}, ${code}` : code);
  }
  byExit.set(EXIT_DATA, 'ingest, parse: input read but nothing of it stored (or printed), or more rejected than --max-reject-ratio allows');
  byExit.set(EXIT_BUG, 'whohad itself failed (a bug: report it with the command line)');
  const lines = [...byExit].sort(([a], [b]) => a - b).map(([exit, what]) => `  ${String(exit).padEnd(3)} ${what}`);
  return `\nexit codes:\n  0   done\n${lines.join('\n')}\n  (2 also for a bad setting, option or unreadable file; 75 also when Redis does not answer)`;
};

const program = new Command();
program.name('whohad').description('Carrier-grade NAT attribution: who had a public IP and port at an instant.').showHelpAfterError().exitOverride();
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
  .option('--sources <names>', 'for an ingest token: comma-separated source names it may store events under, or "*" for any')
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

const audit = program.command('audit').description('access log');
audit
  .command('verify')
  .description('recompute the hash chain of the access log and name the first broken record; with --checkpoint, also what was cut or rewritten since')
  .option('--checkpoint <file>', 'a checkpoint made by `whohad audit checkpoint`')
  .action(async (o) => {
    process.exitCode = await auditVerify(o);
  });
audit
  .command('checkpoint')
  .description('print a checkpoint of the access log signed by the installation key, to keep outside Redis')
  .option('--out <file>', 'write it to a new file instead of standard output')
  .action(async (o) => {
    process.exitCode = await auditCheckpoint(o);
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
registerNatConfigCommands(program);

const formats = `formats:\n${formatHelp.map((f) => `  ${f.name.padEnd(18)} ${f.summary}`).join('\n')}`;

const readOptions = (c: Command) =>
  c
    .option('--format <format>', "input format (default: the configured source's, else canonical); ipfix replays a pcap / pcapng capture")
    .option('--config <file>', 'source configuration (YAML or JSON, see docs/sources.md)')
    .option('--source <name>', 'the configured source these files come from')
    .option('--timezone <zone>', "IANA zone of times written without one (BSD syslog headers, …) where the source sets none; required for such formats without a configured zone")
    .option('--ipfix-port <ports>', 'replay only the capture\'s UDP datagrams to these ports (comma-separated; default: every UDP datagram)')
    .option('--keep-skipped', 'also keep every skipped line, with its reason, in the --rejects file (marked "skipped": true)')
    .option('--max-reject-ratio <share>', 'exit 65 when more than this share of the lines (0-1) was rejected');

readOptions(
  program
    .command('ingest')
    .description('parse files (or - for standard input) and store their events in Redis (REDIS_URL, else the embedded one); says where on every run')
    .argument('<files...>'),
)
  .option('--rejects <file>', 'keep every rejected line with its reason, and refused events with their line and event (NDJSON)')
  .option('--follow', 'keep reading the files as they grow, across rotation; resumes where it stopped (text logs only)')
  .option('--state <dir>', 'where --follow keeps its positions (default WHOHAD_DATA_DIR/follow)')
  .option('--metrics-listen <host:port>', 'with --follow: serve Prometheus metrics at http://HOST:PORT/metrics (docs/operations.md)')
  .addHelpText('after', `\n${formats}`)
  .action(async (files, o) => {
    process.exitCode = await ingestCommand(files, o);
  });

readOptions(
  program
    .command('parse')
    .description('print the canonical events of files (or -) as NDJSON; rejects and counts go to stderr. No Redis needed')
    .argument('<files...>'),
)
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
  .option('--spool <dir>', 'where received messages are kept until Redis has them, replayed after a crash (default WHOHAD_DATA_DIR/collect-spool)')
  .option('--spool-max-bytes <bytes>', 'largest spool on disk (default 1073741824)')
  .option('--metrics-listen <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (docs/operations.md)')
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
  // whatever escapes a command (a stray promise included) still ends as one line and a documented code
  process.on('uncaughtException', endWith);
  process.on('unhandledRejection', endWith);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // commander has printed its own line (and the help) already: a command line to fix, or help shown
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    endWith(err);
  }
}

export { program };
