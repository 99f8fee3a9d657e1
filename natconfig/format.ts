/**
 * A NAT whose mapping is computed rather than logged (deterministic NAT, MAP-E/MAP-T): each
 * supported configuration format reads a device's configuration text into rules and computes,
 * from those rules alone, both directions of the mapping. The versions of a configuration, when
 * each was valid and who entered it, are kept apart from the formulas (natconfig/versions.ts).
 */

/** One inside holder and what it was mapped to: the public address and its port range. */
export interface Mapping {
  /** The inside address (IPv4 or IPv6 text), or an IPv6 prefix `network/length` for MAP and DS-Lite. */
  inside: string;
  publicIp: string;
  /** The port set: one range for deterministic NAT; for MAP the PSID's ranges, in order. */
  ports: Array<{ start: number; end: number }>;
  /** The formula and its inputs, as an investigator reads them in the evidence. */
  formula: string;
}

/** A reason the text could not be read, naming the line (1-based) and what was wrong. */
export interface RuleError {
  line: number;
  message: string;
}

/** The public IPv4 space a configuration claims: two versions that share any of it overlap. */
export interface ClaimedRange {
  /** First and last public address, as IPv4 text. */
  first: string;
  last: string;
}

export interface NatConfigFormat<Rules = unknown> {
  /** The name given to `--format` and stored with each version, e.g. `vpp-det44`. */
  name: string;
  /** Reads the configuration text; every line it cannot read is an error, nothing is skipped silently. */
  parse(text: string): { ok: true; rules: Rules } | { ok: false; errors: RuleError[] };
  /** The public address and ports an inside address (or prefix) had, or null when the rules do not cover it. */
  forward(rules: Rules, inside: string): Mapping | null;
  /**
   * The inside holder of a public address and port, or null when no inside holder has that port
   * (a port that belongs to no host under the formula is null, never a guess).
   */
  reverse(rules: Rules, publicIp: string, port: number): Mapping | null;
  /** The public space the rules claim, to refuse overlapping versions on entry. */
  claims(rules: Rules): ClaimedRange[];
}
