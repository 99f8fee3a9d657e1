import type { SigningKey } from '../core/signing-key.js';
import type { Report, SignedReport } from '../schemas/report.js';
import { canonicalBytes, sha256Hex } from './canonical.js';

/** Signs the report's canonical JSON with the installation's key. */
export function signReport(report: Report, key: SigningKey): SignedReport {
  const bytes = canonicalBytes(report);
  return {
    report,
    fingerprint: sha256Hex(bytes),
    signature: { algorithm: 'Ed25519', keyId: key.id, value: key.sign(bytes).toString('base64') },
  };
}

/** The signed report as the bytes a JSON download carries (canonical too, so it is stable byte for byte). */
export const signedReportBytes = (signed: SignedReport) => canonicalBytes(signed);
