import type { Reason, Status } from '../schemas/attribution.js';

/** What a status means, for a reader who is not an engineer. */
export const STATUS_TEXT: Record<Status, string> = {
  unique: 'One subscriber, through complete evidence.',
  ambiguous: 'More than one subscriber could have been the one, or a holder is unknown: no single subscriber can be named.',
  not_found: 'No subscriber is known for this address and port at this time.',
  outside_retention: 'The time asked for is older than the data kept; nothing was searched.',
};

/** What each reason means for the answer it qualifies. */
export const REASON_TEXT: Record<Reason, string> = {
  port_missing: 'No port was given, so every subscriber sharing the address at the time is named.',
  ambiguous_local_time: 'The local time asked for happened twice (the hour repeated when summer time ended); both instants were searched.',
  log_gap: 'The port block was open and the NAT device had not restated it for longer than its interim interval: records may be missing.',
  open_interval: 'An allocation or lease had no end recorded yet when the report was made.',
  end_inferred: 'An end time was not logged but inferred (from the next allocation, or the lease\'s scheduled expiry).',
  start_inferred: 'A start time was not logged but inferred from a later record.',
  start_unknown: 'Only the end of an allocation or lease was logged; its start is unknown.',
  end_unknown: 'A lease was logged as ended without the time of its end: it may have ended before the time asked, so the subscriber, or nobody, held the address then.',
  tolerance_crossing: 'The tolerance window around the time crosses a hand-over from one holder to another.',
  no_allocation: 'No NAT port block held this port at the time.',
  no_lease: 'A port block was found, but no lease for its inside address.',
  no_lease_for_private_ip: 'For at least one inside address no lease is known, so its subscriber cannot be named.',
  direct_public_address: 'The address was leased directly to a subscriber (no NAT).',
  config_conflict: 'Two NAT configurations claim the address at the time, a logged allocation contradicts the configured mapping, or a configuration claiming it cannot be computed with: no holder can be chosen between them.',
};

/** What each end basis says about an interval's end. */
export const END_BASIS_TEXT: Record<string, string> = {
  open: 'still open',
  released: 'released (logged)',
  superseded: 'inferred: the next allocation began',
  scheduled: 'inferred: scheduled lease expiry',
  expired: 'lease expired (logged)',
  stop: 'session stop (logged)',
  configured: 'end of the NAT configuration version (validTo)',
};
