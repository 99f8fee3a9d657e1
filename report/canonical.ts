import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Report } from '../schemas/report.js';

/** The report's one byte form (RFC 8785): what is hashed, signed and embedded. */
export function canonicalBytes(value: unknown): Buffer {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('the report has no JSON form');
  return Buffer.from(text, 'utf8');
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** SHA-256 of the whole report: printed on every page, and what the signature is checked against. */
export const fingerprintOf = (report: Report) => sha256Hex(canonicalBytes(report));

/**
 * SHA-256 of the report without its access-log section. The access-log record is written with
 * this hash before the report leaves, and the report then names that record: each points at
 * the other without a circle.
 */
export function contentHashOf(report: Omit<Report, 'accessLog'> | Report): string {
  const { accessLog: _, ...content } = report as Report;
  return sha256Hex(canonicalBytes(content));
}
