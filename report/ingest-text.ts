import type { Ingest } from '../schemas/attribution.js';

/** Which ingest wrote a record, as an investigator reads it beside the record's source. */
export function ingestText(i: Ingest | null): string {
  if (i === null) return 'ingest not named (stored before ingests were recorded)';
  if (i.path === 'token') return `ingested with API token ${i.tokenId}`;
  if (i.path === 'cli') return `ingested by ${i.user} (whohad ingest)`;
  return `received by collector ${i.collector}`;
}
