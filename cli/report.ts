import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { DomainError } from '../core/domain-error.js';
import { keyIdOf, publicKeys } from '../core/signing-key.js';
import { verifyReport, type KeyLookup, type VerifyOutcome } from '../report/verify.js';
import type { SignedReport } from '../schemas/report.js';

/** Exit status of `whohad report verify`: 0 valid, 1 the report does not match (the message says what), 2 it could not be checked. */
export const VERIFY_EXIT = { valid: 0, invalid: 1, unusable: 2 } as const;

interface KeyEntry {
  id: string;
  publicKeyPem: string;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new DomainError('bad_parameter', `cannot read ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, '--key');
  }
}

/** A key file: one public key in PEM, or a key list as `GET /v1/keys` answers it (or the data directory's signing-keys.json). */
function keysFromFile(path: string): KeyEntry[] {
  const text = readText(path, 'key file');
  if (text.trimStart().startsWith('-----BEGIN')) {
    try {
      return [{ id: keyIdOf(text), publicKeyPem: text }];
    } catch (err) {
      throw new DomainError('bad_parameter', `${path} is not a public key in PEM (${(err as Error).message})`, '--key');
    }
  }
  return keyList(text, path, '--key');
}

function keyList(text: string, where: string, field: string): KeyEntry[] {
  try {
    const keys = (JSON.parse(text) as { keys?: KeyEntry[] }).keys;
    if (!Array.isArray(keys)) throw new Error('no "keys" list');
    // a key's id is recomputed from the key itself: a list cannot make a key answer to another id
    return keys.map((k) => ({ id: keyIdOf(k.publicKeyPem), publicKeyPem: k.publicKeyPem }));
  } catch (err) {
    throw new DomainError('bad_parameter', `${where} is neither a PEM public key nor a key list like GET /v1/keys answers (${(err as Error).message})`, field);
  }
}

async function keysFromUrl(url: string): Promise<KeyEntry[]> {
  const at = `${url.replace(/\/+$/, '')}/v1/keys`;
  let res: Response;
  try {
    res = await fetch(at);
  } catch (err) {
    throw new DomainError('store_unavailable', `cannot fetch the public keys from ${at} (${(err as Error).cause ?? (err as Error).message})`, '--url');
  }
  if (!res.ok) throw new DomainError('bad_parameter', `${at} answered ${res.status}: not a whohad service's key list`, '--url');
  return keyList(await res.text(), at, '--url');
}

function lookupOf(keys: KeyEntry[]): KeyLookup {
  const byId = new Map(keys.map((k) => [k.id, k.publicKeyPem]));
  return (id) => byId.get(id) ?? null;
}

/** The question and the answer in one line each, for a person holding the file. */
export function summaryLines(s: SignedReport): string[] {
  const r = s.report;
  const lines = [
    `made         ${r.madeAt} by ${r.software.name} ${r.software.version}`,
    `case         ${r.grounds.case ?? '-'} (${r.grounds.legalBasis ?? '-'}): ${r.grounds.purpose ?? '-'}; asked by ${r.requester.user ?? '-'}`,
  ];
  if (r.lookup) {
    const q = r.lookup.question;
    const a = r.lookup.answer;
    lines.push(
      `question     ${q.ip}${q.port === undefined ? '' : ` port ${q.port}`} at "${q.at}"${q.tz ? ` ${q.tz}` : ''}, tolerance ${q.tolerance ?? `default (${a.query.tolerance} s)`}`,
      `instants     ${a.instants.map((i) => i.utc).join(', ')}`,
      `answer       ${a.status}${a.subscriberId ? `: ${a.subscriberId}` : ''}; candidates ${a.candidates.map((c) => c.subscriberId).join(', ') || 'none'}${a.reasons.length ? `; reasons ${a.reasons.join(', ')}` : ''}`,
    );
  }
  if (r.bulk) {
    const b = r.bulk;
    const byStatus = Object.entries(b.summary.byStatus).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`bulk job     ${b.job.id}: ${b.summary.rows} rows (${byStatus}); ${b.summary.subscribers} subscribers named`);
    if (b.result) lines.push(`result       ${b.result.format}, ${b.result.bytes} bytes, SHA-256 ${b.result.sha256}`);
  }
  lines.push(`access log   chain ${r.accessLog.chain} #${r.accessLog.seq}, record hash ${r.accessLog.hash}, content hash ${r.accessLog.reportContentHash}`);
  return lines;
}

export interface VerifyOptions {
  key?: string;
  url?: string;
  /** Where the installation's own key ring is looked for when neither --key nor --url is given. */
  dataDir?: string;
}

/** Checks the file and prints the outcome; returns the exit status. */
export async function reportVerify(file: string, o: VerifyOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (o.key && o.url) throw new DomainError('bad_parameter', 'give --key or --url, not both', '--key');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DomainError('bad_parameter', `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'FILE');
  }
  const keys = o.key ? keysFromFile(o.key) : o.url ? await keysFromUrl(o.url) : publicKeys(o.dataDir ?? loadConfig().dataDir);
  const outcome: VerifyOutcome = verifyReport(bytes, lookupOf(keys));
  if (!outcome.ok) {
    err.write(`whohad report verify: ${file}: INVALID: ${outcome.message}\n`);
    if (outcome.problem === 'unknown_key' && !o.key && !o.url) err.write('  (no --key or --url: only this installation\'s own key ring was searched)\n');
    return VERIFY_EXIT.invalid;
  }
  out.write(
    [`${file}: VALID ${outcome.container === 'pdf' ? 'PDF report (its attached signed report checked)' : 'JSON report'}`, `key id       ${outcome.keyId}`, `fingerprint  ${outcome.fingerprint}`, ...summaryLines(outcome.signed)].join('\n') + '\n',
  );
  return VERIFY_EXIT.valid;
}

export function registerReportCommands(program: Command): void {
  const report = program.command('report').description('signed disclosure reports');
  report
    .command('verify')
    .description('check a report (JSON, or a PDF carrying it) offline: content, key and signature; exit 0 valid, 1 not valid (says what), 2 cannot check')
    .argument('<file>', 'the report: .json or .pdf as the service made it')
    .option('--key <keyfile>', 'the public key (PEM), or a key list as GET /v1/keys answers it')
    .option('--url <url>', "a whohad service whose /v1/keys lists the installation's public keys")
    .action(async (file: string, o: VerifyOptions) => {
      process.exitCode = await reportVerify(file, o);
    });
}
