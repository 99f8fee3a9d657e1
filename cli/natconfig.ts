import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { AccessLog } from '../audit/log.js';
import { loadConfig } from '../config.js';
import { DomainError } from '../core/domain-error.js';
import { entryRecord, forwardRecord, recordedAnswer, reverseRecord, type NatConfigActor } from '../natconfig/audit-entry.js';
import type { Mapping, NatConfigFormat } from '../natconfig/format.js';
import { checkInstance, checkVersionId, instantOf } from '../natconfig/input.js';
import { installedFormats } from '../natconfig/installed.js';
import { forwardAt, reverseAt, type VersionAnswer } from '../natconfig/lookup.js';
import { NatConfigRegistry } from '../natconfig/registry.js';
import { NatConfigVersions, type VersionView } from '../natconfig/versions.js';
import { ending } from './fail.js';
import { withCliStore } from './store.js';
import { cliUser } from './ingest-identity.js';

/** `whohad natconfig …`: the NAT configuration history, straight against Redis as `whohad hold` is. */

type Formats = readonly NatConfigFormat[];

function withStore<T>(formats: Formats, fn: (store: NatConfigVersions, log: AccessLog) => Promise<T>): Promise<T> {
  return withCliStore('whohad natconfig', (redis, log) => fn(new NatConfigVersions(redis, new NatConfigRegistry(formats)), log));
}

const actor = (command: string): NatConfigActor => ({ user: cliUser(), tokenId: null, client: null, route: `whohad natconfig ${command}` });

/** Whatever stopped the command as one line on stderr and its documented exit code. */
function failed(err: unknown): number {
  const { exit, message } = ending(err);
  process.stderr.write(`whohad natconfig: ${message}\n`);
  return exit;
}

async function run(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    return failed(err);
  }
}

/** The configuration text of FILE (or - for standard input), which must be UTF-8. */
async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    bytes = Buffer.concat(chunks);
  } else {
    try {
      bytes = await readFile(file);
    } catch (err) {
      // some read errors (EISDIR) come without the path, which the one-line ending names
      const e = err as NodeJS.ErrnoException;
      if (e.code && e.path === undefined) e.path = file;
      throw e;
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DomainError('bad_input', `${file} is not UTF-8 text: give the configuration as the device prints it`);
  }
}

const period = (v: Pick<VersionView, 'validFrom' | 'inForceUntil'>) => `${v.validFrom} .. ${v.inForceUntil ?? 'open'}`;
const claimText = (v: VersionView) => v.claims.map((c) => (c.first === c.last ? c.first : `${c.first}-${c.last}`)).join(',');

export function versionLine(v: VersionView): string {
  const links = [v.supersedes ? `supersedes ${v.supersedes}` : '', ...v.supersededBy.map((s) => `superseded by ${s.id} (v${s.version}) at ${s.at}`)].filter(Boolean);
  return `${v.id}  ${v.instance} v${v.version}  ${v.format}  ${period(v)}  ${claimText(v)}${links.length ? `  ${links.join('; ')}` : ''}  (by ${v.enteredBy} ${v.enteredAt}${v.origin ? `, from ${v.origin}` : ''})`;
}

const portsText = (m: Mapping) => m.ports.map((p) => (p.start === p.end ? `${p.start}` : `${p.start}-${p.end}`)).join(',');
const usedText = (a: VersionAnswer) => `instance ${a.instance} version ${a.version}, id ${a.id}, in force ${period(a)}`;

export interface ImportOptions {
  format: string;
  instance: string;
  validFrom: string;
  validTo?: string;
  origin?: string;
  supersedes?: string;
}

export function natconfigImport(file: string, o: ImportOptions, formats: Formats = installedFormats): Promise<number> {
  return run(async () => {
    // what can be checked without the file or Redis is checked first, so a typo costs nothing
    const registry = new NatConfigRegistry(formats);
    checkInstance(o.instance);
    registry.get(o.format);
    instantOf(o.validFrom, 'validFrom');
    if (o.validTo !== undefined) instantOf(o.validTo, 'validTo');
    if (o.supersedes !== undefined) checkVersionId(o.supersedes, 'supersedes');
    const text = await readText(file);
    const who = actor('import');
    const v = await withStore(formats, (store, log) =>
      store.enter(
        { instance: o.instance, format: o.format, text, validFrom: o.validFrom, validTo: o.validTo ?? null, origin: o.origin ?? (file === '-' ? null : basename(file)), supersedes: o.supersedes ?? null },
        { user: who.user, record: (view) => log.append(entryRecord(who, view)) },
      ),
    );
    process.stdout.write(`${v.id}\n`);
    process.stderr.write(`entered: ${versionLine(v)}\n`);
    return 0;
  });
}

export function natconfigList(o: { instance?: string; at?: string }, formats: Formats = installedFormats): Promise<number> {
  return run(async () => {
    const instance = o.instance === undefined ? undefined : checkInstance(o.instance);
    const atMs = o.at === undefined ? undefined : instantOf(o.at, 'at');
    const all = await withStore(formats, (store) => store.list({ instance, atMs }));
    for (const v of all) process.stdout.write(`${versionLine(v)}\n`);
    if (all.length === 0) process.stderr.write('no configuration versions match\n');
    return 0;
  });
}

export function natconfigShow(id: string, formats: Formats = installedFormats): Promise<number> {
  return run(async () => {
    checkVersionId(id);
    const v = await withStore(formats, (store) => store.get(id));
    process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
    return 0;
  });
}

export function natconfigForward(o: { instance: string; inside: string; at: string }, formats: Formats = installedFormats): Promise<number> {
  return run(async () => {
    const a = await withStore(formats, (store, log) =>
      recordedAnswer(() => forwardAt(store, o), (x) => forwardRecord(actor('forward'), { ...o }, x), (r) => log.append(r)),
    );
    let mapped = 0;
    for (const x of a.answers) {
      if (x.mapping) {
        mapped++;
        process.stdout.write(`${x.mapping.publicIp} ports ${portsText(x.mapping)}  (${usedText(x)}; ${x.mapping.formula})\n`);
      } else {
        process.stderr.write(`${a.inside}: ${x.problem ?? 'not inside the rules'} (${usedText(x)})\n`);
      }
    }
    if (mapped > 1) process.stderr.write(`conflict: ${mapped} versions map ${a.inside} at ${a.at}\n`);
    return mapped === 1 ? 0 : 1;
  });
}

export function natconfigReverse(o: { ip: string; port: string; at: string }, formats: Formats = installedFormats): Promise<number> {
  return run(async () => {
    const a = await withStore(formats, (store, log) =>
      recordedAnswer(() => reverseAt(store, o), (x) => reverseRecord(actor('reverse'), { ...o }, x), (r) => log.append(r)),
    );
    let mapped = 0;
    for (const x of a.answers) {
      if (x.mapping) {
        mapped++;
        process.stdout.write(`${x.mapping.inside}  (ports ${portsText(x.mapping)}; ${usedText(x)}; ${x.mapping.formula})\n`);
      } else {
        process.stderr.write(`${a.ip} port ${a.port}: ${x.problem ?? 'belongs to no host'} (${usedText(x)})\n`);
      }
    }
    if (a.conflict) process.stderr.write(`conflict: ${a.answers.length} versions claim ${a.ip} at ${a.at}; no answer may choose between them\n`);
    return mapped === 1 && !a.conflict ? 0 : 1;
  });
}

/** `whohad natconfig …`. */
export function registerNatConfigCommands(program: Command, formats: Formats = installedFormats): void {
  const nc = program.command('natconfig').description('NAT configuration history for computed mappings (deterministic NAT, MAP): docs/deterministic-nat.md');
  const known = () => (formats.length ? formats.map((f) => f.name).join(', ') : 'none installed');
  nc
    .command('import')
    .description('enter FILE (or - for standard input) as a new version of an instance\'s configuration; prints its id. Recorded in the access log')
    .argument('<file>')
    .requiredOption('--format <format>', `configuration format (${known()})`)
    .requiredOption('--instance <name>', 'the NAT instance (device or pool)')
    .requiredOption('--valid-from <time>', 'ISO 8601 instant with Z or an offset: in force from here, inclusive')
    .option('--valid-to <time>', 'ISO 8601 instant with Z or an offset: in force up to here, exclusive')
    .option('--origin <text>', 'where the text came from (default: the file name)')
    .option('--supersedes <id>', 'a version of the same instance this one ends at --valid-from (a correction)')
    .action(async (file, o) => {
      process.exitCode = await natconfigImport(file, o, formats);
    });
  nc
    .command('list')
    .description('list versions in order of entry')
    .option('--instance <name>', 'only versions of this instance')
    .option('--at <time>', 'only versions in force at this ISO 8601 instant')
    .action(async (o) => {
      process.exitCode = await natconfigList(o, formats);
    });
  nc
    .command('show')
    .description('print one version, its text and rules, as JSON')
    .argument('<id>')
    .action(async (id) => {
      process.exitCode = await natconfigShow(id, formats);
    });
  nc
    .command('forward')
    .description('the public address and ports an inside address had at an instant, and the version used (compare with the device)')
    .requiredOption('--instance <name>', 'the NAT instance')
    .requiredOption('--inside <address>', 'inside IPv4 or IPv6 address, or IPv6 prefix')
    .requiredOption('--at <time>', 'ISO 8601 instant with Z or an offset')
    .action(async (o) => {
      process.exitCode = await natconfigForward(o, formats);
    });
  nc
    .command('reverse')
    .description('the inside address (or IPv6 prefix) that had a public address and port at an instant, and the version used')
    .requiredOption('--ip <address>', 'public IPv4 address')
    .requiredOption('--port <port>', 'public port')
    .requiredOption('--at <time>', 'ISO 8601 instant with Z or an offset')
    .action(async (o) => {
      process.exitCode = await natconfigReverse(o, formats);
    });
}
