import type { AttributionAnswer, Reason, Status } from '../../schemas/attribution.js';

/** What each status means, in the words an investigator would use in a case file. */
export const STATUS_TEXT: Record<Status, string> = {
  unique: 'One subscriber held this address and port at the time asked, and the evidence for it is complete.',
  ambiguous: 'More than one subscriber may have held this address and port at the time asked, or one allocation leads to an unknown holder: the answer does not name one person.',
  not_found: 'No subscriber could be found for this address and port at the time asked.',
  outside_retention: 'The time asked is older than the records are kept (WHOHAD_RETENTION_DAYS), and no legal hold keeps them: nothing was looked up.',
};

const seconds = (s: number) => (s === 1 ? '1 second' : `${s} seconds`);

/** Every reason, said for this answer (its zone, tolerance and instants), never as a bare code. */
export function explainReason(reason: Reason, a: AttributionAnswer): string {
  const tol = seconds(a.query.tolerance);
  switch (reason) {
    case 'port_missing':
      return 'No port was given, so every subscriber who shared the address at that time is named: the answer cannot single one out.';
    case 'ambiguous_local_time': {
      const [first, second] = a.instants;
      return `${a.query.at} in ${a.query.tz ?? 'UTC'} happened twice that night (the hour repeated when summer time ended): both instants were asked, ${first?.utc ?? '?'} and ${second?.utc ?? '?'}, and the answer covers both.`;
    }
    case 'log_gap':
      return 'The allocation was still open at this instant, but the NAT device had not restated it for longer than its interim interval (WHOHAD_INTERIM_INTERVAL_S): its logs may have a gap, and the block may have changed hands unseen.';
    case 'open_interval':
      return 'A record used as evidence has no end yet: as far as the logs show, the holding was still going on.';
    case 'end_inferred':
      return 'An end used as evidence was not logged but inferred: either a later allocation or lease of the same block or address superseded it, or a lease\'s scheduled expiry was taken as its end. The timeline marks which.';
    case 'start_inferred':
      return 'A start used as evidence was not logged: the holding was first seen in a restatement (an interim record), and starts there.';
    case 'start_unknown':
      return 'A release was logged without its start: the holding is taken to reach back only to just after the record before it on the same block.';
    case 'end_unknown':
      return 'A lease used as evidence was recorded as released or deleted without the time it happened: it is known to have run only until its last activity (its end is shown as a range), and the time asked lies after that. The subscriber may still have held the address, or nobody did: the answer cannot be unique on this evidence.';
    case 'tolerance_crossing':
      return `The address changed hands within the tolerance window (±${tol}): at least one candidate held it only near, not at, the exact instant, so the answer depends on how exact the logged time is.`;
    case 'no_allocation':
      return 'No port-block allocation of this address and port covers the instant (within the tolerance).';
    case 'no_lease':
      return 'An allocation was found, but no lease of its inside address covers the instant: who held that inside address is not known.';
    case 'no_lease_for_private_ip':
      return 'One allocation leads to an inside address that had no lease at the time: its holder is unknown and may be a second subscriber, so the answer cannot be unique.';
    case 'direct_public_address':
      return 'No NAT record exists for this address: it was resolved against subscribers who lease a public address directly.';
    case 'config_conflict':
      return 'The NAT configurations entered for this address disagree at that time: two configuration versions claim it together, a logged allocation names a different inside holder than the configured formula, or a version claiming it cannot be computed with here. Every holder they name is shown; the answer does not choose between them.';
  }
}

/** An end basis as a person would say it, and whether it was seen in the logs or inferred. */
export const END_TEXT: Record<string, string> = {
  open: 'still open (no end logged)',
  released: 'released (end logged)',
  expired: 'expired (end logged)',
  stop: 'stopped (end logged)',
  superseded: 'superseded by the next record (end inferred)',
  scheduled: 'scheduled expiry taken as end (end inferred)',
  configured: 'end of the NAT configuration version in force (validTo as entered)',
};
