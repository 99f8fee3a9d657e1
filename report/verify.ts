import { verifyWith } from '../core/signing-key.js';
import { REPORT_FORMAT, type SignedReport } from '../schemas/report.js';
import { canonicalBytes, contentHashOf, sha256Hex } from './canonical.js';
import { embeddedReport, PdfReadError } from './pdf-read.js';

/** What does not match, in words an auditor can act on. */
export type VerifyProblem = 'unreadable' | 'truncated' | 'changed_content' | 'unknown_key' | 'bad_signature';

export type VerifyOutcome =
  | { ok: true; signed: SignedReport; keyId: string; fingerprint: string; container: 'json' | 'pdf' }
  | { ok: false; problem: VerifyProblem; message: string; signed: SignedReport | null };

/** The public keys a verifier trusts, by key id. */
export type KeyLookup = (keyId: string) => string | null;

const fail = (problem: VerifyProblem, message: string, signed: SignedReport | null = null): VerifyOutcome => ({ ok: false, problem, message, signed });

function parseSigned(text: string, where: string): SignedReport | VerifyOutcome {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return fail('unreadable', `${where} is not JSON (${(err as Error).message})`);
  }
  const s = v as Partial<SignedReport> | null;
  if (!s || typeof s !== 'object' || !s.report || typeof s.report !== 'object') return fail('unreadable', `${where} has no "report"`);
  if (typeof s.fingerprint !== 'string') return fail('unreadable', `${where} has no "fingerprint"`);
  const sig = s.signature;
  if (!sig || sig.algorithm !== 'Ed25519' || typeof sig.keyId !== 'string' || typeof sig.value !== 'string') {
    return fail('unreadable', `${where} has no Ed25519 "signature" with a keyId and a value`);
  }
  if (s.report.format !== REPORT_FORMAT) return fail('unreadable', `${where} is not a ${REPORT_FORMAT} (format ${JSON.stringify(s.report.format)})`);
  return s as SignedReport;
}

/**
 * Checks a report (its JSON, or a PDF carrying it) with nothing but the file and the public
 * keys: the content against its fingerprint and its access-log content hash, the key against
 * the keys given, and the signature against the content.
 */
export function verifyReport(file: Uint8Array, keys: KeyLookup): VerifyOutcome {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  let text: string;
  let container: 'json' | 'pdf' = 'json';
  if (buf.subarray(0, 5).toString('latin1') === '%PDF-') {
    container = 'pdf';
    try {
      text = embeddedReport(buf).toString('utf8');
    } catch (err) {
      if (err instanceof PdfReadError) return fail(err.problem, err.message);
      throw err;
    }
  } else text = buf.toString('utf8');
  const where = container === 'pdf' ? 'the report embedded in the PDF' : 'the file';
  const parsed = parseSigned(text, where);
  if ('ok' in parsed) return parsed;
  const signed = parsed;
  const bytes = canonicalBytes(signed.report);
  const fingerprint = sha256Hex(bytes);
  if (fingerprint !== signed.fingerprint) {
    return fail('changed_content', `changed content: the report's SHA-256 is ${fingerprint}, but it was made with ${signed.fingerprint}`, signed);
  }
  const content = contentHashOf(signed.report);
  if (signed.report.accessLog?.reportContentHash !== content) {
    return fail('changed_content', `changed content: the report's content hash is ${content}, but its access-log reference says ${signed.report.accessLog?.reportContentHash}`, signed);
  }
  const pem = keys(signed.signature.keyId);
  if (pem === null) return fail('unknown_key', `unknown key: the report was signed with key ${signed.signature.keyId}, which is not among the public keys given`, signed);
  if (!verifyWith(pem, bytes, Buffer.from(signed.signature.value, 'base64'))) {
    return fail('bad_signature', `bad signature: the signature is not key ${signed.signature.keyId}'s signature of this report`, signed);
  }
  return { ok: true, signed, keyId: signed.signature.keyId, fingerprint, container };
}
