import { bytesToIp, isIpv4 } from '../core/ip.js';
import { isoMs } from '../core/time.js';
import { isoInZone } from '../core/zoned.js';
import type { AllocationEvidence, AttributionAnswer, Ingest, LeaseEvidence, LeaseSearch, Reason, Status } from '../schemas/attribution.js';
import type { Entry } from '../timeindex/entry.js';
import type { IndexReader, NatChain, NatStab } from '../timeindex/reader.js';
import type { Profile, ProfileDictionary } from '../timeindex/profiles.js';
import { coverages, intersects, type Coverage } from '../timeindex/coverage.js';
import { computedEvidence, computedWindow, contradicts, COMPUTED_VRF, type ComputedHolder, type ComputedNat, type ComputedWindow } from './computed.js';
import type { NormalisedQuery } from './query.js';

export interface ResolverConfig {
  /** Default tolerance in seconds when a query gives none. */
  toleranceS: number;
  retentionDays: number;
  /** How often NAT devices restate open blocks; an open block not seen for longer is a log gap. */
  interimIntervalS: number;
  /** VRF of leases of public addresses that no NAT record covers. */
  directVrf: string;
  now: () => number;
}

/** Legal holds (retention/holds.ts): records they keep past retention may still be asked for. */
export interface HoldCoverage {
  covers(publicIp: string, instantMs: number): Promise<boolean>;
}

interface Allocation {
  kind: 'logged';
  chain: NatChain;
  cover: Coverage;
  privateIp: string;
  privateVrf: string;
  source: string;
  ingest: Ingest | null;
  /** Built once, on first use: an allocation stands in every pair and lease search it is part of. */
  evidence: AllocationEvidence | null;
}

/** A NAT hop's holder: logged in the time index, or computed from a configuration version. */
type NatHolder = Allocation | ComputedHolder;

interface Pair {
  allocation: NatHolder | null;
  lease: Coverage;
  leaseVrf: string;
  leaseIp: string;
  /** Where the lease hop's window began: a holding known to have run only until before it is bounded. */
  windowFrom: number;
}

const OPEN_ENDED = new Set(['superseded', 'scheduled']);

/**
 * What a bulk CSV row prints of an answer (bulk/output.ts): the answer's status, subscriber,
 * reasons and instants, the candidates' ids and one reference per piece of evidence, without
 * the evidence itself. `Resolver.resolveCompact` builds it without building the answer;
 * `compactOf` takes it from an answer: the two agree on every field
 * (test/resolver/compact.test.ts).
 */
export interface CompactAnswer {
  status: Status;
  subscriberId: string | null;
  /** The candidates' subscriber ids, sorted. */
  candidates: string[];
  reasons: Reason[];
  /** The instants asked (the answer's `instants[].utc`), epoch ms. */
  instants: readonly number[];
  /** `<allocation id>-><lease id>`, or a lease id alone for a public address resolved directly, in the answer's order. */
  evidence: string[];
}

/** An answer's compact form. */
export function compactOf(a: AttributionAnswer): CompactAnswer {
  const evidence: string[] = [];
  for (const c of a.candidates) for (const e of c.evidence) evidence.push(evidenceRef(e.allocation?.id ?? null, e.lease.id));
  return {
    status: a.status,
    subscriberId: a.subscriberId,
    candidates: a.candidates.map((c) => c.subscriberId).sort(),
    reasons: a.reasons,
    instants: a.instants.map((i) => Date.parse(i.utc)),
    evidence,
  };
}

/** What the hops found for a query, before it is written out as an answer. */
interface Findings {
  /** False: every instant lies before retention and no hold keeps it. */
  inRetention: boolean;
  pairs: Array<Pair & { instant: number }>;
  reasons: Set<Reason>;
  allocations: number;
  incomplete: boolean;
  searches: LeaseSearch[];
}

/**
 * Answers "who had ip:port at `at`" per design/attribution-semantics.md: the NAT hop finds every
 * block holding the port whose interval meets the tolerance window, the subscriber hop every
 * lease of each block's inside address within the window and the block, and the status says
 * whether exactly one subscriber stands behind complete evidence.
 */
export class Resolver {
  constructor(
    private readonly reader: IndexReader,
    private readonly profiles: ProfileDictionary,
    private readonly config: ResolverConfig,
    private readonly holds?: HoldCoverage,
    /** NAT configuration versions (natconfig/): the NAT hop of the addresses they claim is computed too. */
    private readonly natConfigs?: ComputedNat,
  ) {}

  /**
   * The answer `resolve` gives each query, in order, read together: on a single Redis the hops
   * of the whole batch go to Redis in as few script calls as its size allows (one for up to 256
   * windows with a port, timeindex/reader.ts), with the look-ups in flight beside them.
   */
  resolveMany(queries: readonly NormalisedQuery[]): Promise<AttributionAnswer[]> {
    return Promise.all(queries.map((q) => this.resolve(q)));
  }

  /**
   * `compactOf(resolve(q))` for each query, read as `resolveMany` reads them, without building
   * the answers: no evidence objects, no dates written out, no lease sources looked up. What a
   * bulk CSV row prints needs nothing more.
   */
  resolveCompactMany(queries: readonly NormalisedQuery[]): Promise<CompactAnswer[]> {
    return Promise.all(queries.map((q) => this.resolveCompact(q)));
  }

  /** Takes only a normalised query (resolver/query.ts): every door has read it the same way. */
  async resolve(q: NormalisedQuery): Promise<AttributionAnswer> {
    const toleranceS = q.tolerance ?? this.config.toleranceS;
    const tolMs = Math.round(toleranceS * 1000);
    const zone = q.tz ?? 'UTC';
    const answer: AttributionAnswer = {
      status: 'not_found',
      subscriberId: null,
      reasons: [],
      query: { ip: q.ip, port: q.port, at: q.at, tz: q.tz ?? null, tolerance: toleranceS },
      instants: q.instants.map((t) => ({ utc: isoMs(t), local: isoInZone(t, zone), windowFrom: isoMs(t - tolMs), windowTo: isoMs(t + tolMs) })),
      candidates: [],
    };
    const f = await this.find(q, tolMs, true);
    if (!f.inRetention) {
      answer.status = 'outside_retention';
      answer.reasons = [...f.reasons];
      return answer;
    }
    await this.fill(answer, f.pairs);
    const n = answer.candidates.length;
    answer.status = this.conclude(f, n);
    if (answer.status === 'unique') answer.subscriberId = answer.candidates[0].subscriberId;
    answer.reasons = [...f.reasons];
    if (f.searches.length > 0) answer.leaseSearches = f.searches;
    return answer;
  }

  /** `compactOf(await this.resolve(q))`, without building the answer. */
  async resolveCompact(q: NormalisedQuery): Promise<CompactAnswer> {
    const tolMs = Math.round((q.tolerance ?? this.config.toleranceS) * 1000);
    const f = await this.find(q, tolMs, false);
    const out: CompactAnswer = { status: 'outside_retention', subscriberId: null, candidates: [], reasons: [], instants: q.instants, evidence: [] };
    if (f.inRetention) {
      const bySubscriber = holdings(q.ip, f.pairs, (_p, allocationId, leaseId) => evidenceRef(allocationId, leaseId));
      const ids = [...bySubscriber.keys()].sort(bySubscriberId);
      out.status = this.conclude(f, ids.length);
      if (out.status === 'unique') out.subscriberId = ids[0];
      for (const id of ids) for (const ref of bySubscriber.get(id)!) out.evidence.push(ref);
      out.candidates = ids;
    }
    out.reasons = [...f.reasons];
    return out;
  }

  /**
   * Both hops of every instant of the query: the pairs of holders found, and the reasons known
   * before the candidates are counted. `full`: also what the answer alone shows (the lease
   * searches that found nothing).
   */
  private async find(q: NormalisedQuery, tolMs: number, full: boolean): Promise<Findings> {
    const reasons = new Set<Reason>();
    if (q.port === null) reasons.add('port_missing');
    if (q.ambiguousLocalTime) reasons.add('ambiguous_local_time');

    const cutoff = this.config.now() - this.config.retentionDays * 86_400_000;
    const instants: number[] = [];
    for (const t of q.instants) {
      if (t + tolMs >= cutoff || (await this.holds?.covers(q.ip, t))) instants.push(t);
    }
    if (instants.length === 0) return { inRetention: false, pairs: [], reasons, allocations: 0, incomplete: false, searches: [] };

    const pairs: Array<Pair & { instant: number }> = [];
    // Every lease look-up that found nothing: an investigator must see which inside address and
    // VRF were searched, or a VRF named differently by two devices reads as "nobody".
    const searches: LeaseSearch[] = [];
    let searched: Set<string> | null = null;
    const noLease = (allocation: NatHolder | null, vrf: string, ip: string, from: number, to: number) => {
      // what was searched is shown only in the full answer
      if (!full) return;
      searched ??= new Set();
      const s: LeaseSearch = {
        allocation: allocation ? allocationEvidence(q.ip, allocation) : null, ip, vrf, windowFrom: isoMs(from), windowTo: isoMs(to),
      };
      const key = `${s.allocation?.id ?? ''}|${vrf}|${ip}|${s.windowFrom}|${s.windowTo}`;
      if (searched.has(key)) return;
      searched.add(key);
      searches.push(s);
    };
    let allocations = 0;
    let incomplete = false;
    // both hops of every instant at once: one call on a single Redis, shared with the look-ups
    // in flight together
    const directVrf = isIpv4(q.ip) ? this.config.directVrf : null;
    // the configuration versions are in memory after their first load: one GET beside the
    // script call tells whether they are current (natconfig/versions.ts)
    const [lookups, configured] = await Promise.all([
      Promise.all(instants.map((t) => this.reader.lookup(q.ip, q.port, t - tolMs, t + tolMs, directVrf))),
      this.natConfigs && isIpv4(q.ip) ? Promise.all(instants.map((t) => this.natConfigs!.versionsDuring(q.ip, t - tolMs, t + tolMs))) : null,
    ]);
    for (let k = 0; k < instants.length; k++) {
      const t = instants[k];
      const from = t - tolMs;
      const to = t + tolMs;
      const lookup = lookups[k];
      const configs = configured?.[k];
      const computed = configs && configs.inForce.length > 0 ? computedWindow(configs.inForce, q.ip, q.port, from, to, q.natInstance) : null;
      // an address a configuration claims, at any time, is behind a NAT as one with a NAT log is
      if (!lookup.hasNat && !configs?.claimed) {
        reasons.add('direct_public_address');
        const vrf = this.config.directVrf;
        const addresses = lookup.direct ? [q.ip] : await this.reader.directAddresses(q.ip);
        const leases = lookup.direct ? [meeting(lookup.direct, from, to)] : await Promise.all(addresses.map((ip) => this.leaseHop(vrf, ip, from, to)));
        if (leases.every((l) => l.length === 0)) noLease(null, vrf, q.ip, from, to);
        addresses.forEach((ip, i) => {
          for (const lease of leases[i]) pairs.push({ allocation: null, lease, leaseVrf: vrf, leaseIp: ip, instant: t, windowFrom: from });
        });
        continue;
      }
      const logged = await this.allocations(q, lookup, from, to);
      if (computed !== null && this.conflicting(computed, logged, q.port)) {
        incomplete = true;
        reasons.add('config_conflict');
      }
      // more holders than are named: the answer names some of them, and no one alone
      if (computed?.cut) incomplete = true;
      const found: NatHolder[] = computed === null ? logged : [...logged, ...computed.holders];
      allocations += found.length;
      const asked = found.map((a) => {
          if (a.kind === 'computed') return this.computedLeases(a, Math.max(from, a.cover.from), Math.min(to, a.cover.to));
          const lf = Math.max(from, a.cover.from);
          const lt = Math.min(to, a.cover.to);
          // read in the same call when the script could (an IPv4 inside address in a known VRF)
          const read = lookup.leases.get(a.cover.entry);
          if (read && read.vrf === a.privateVrf && read.from === lf && read.to === lt) return [{ ip: a.privateIp, leases: meeting(read.entries, lf, lt) }];
          return this.insideLeases(a.privateVrf, a.privateIp, lf, lt);
        });
      // the script read them all in the usual case: nothing to wait for
      const leases = asked.some((l) => l instanceof Promise) ? await Promise.all(asked) : (asked as Array<Array<{ ip: string; leases: Coverage[] }>>);
      found.forEach((a, i) => {
        if (leases[i].every((l) => l.leases.length === 0)) {
          incomplete = true;
          reasons.add('no_lease_for_private_ip');
          const [vrf, ip] = a.kind === 'computed' ? [COMPUTED_VRF, a.mapping.inside] : [a.privateVrf, a.privateIp];
          noLease(a, vrf, ip, Math.max(from, a.cover.from), Math.min(to, a.cover.to));
        }
        const windowFrom = Math.max(from, a.cover.from);
        for (const held of leases[i]) {
          for (const lease of held.leases) pairs.push({ allocation: a, lease, leaseVrf: a.kind === 'computed' ? COMPUTED_VRF : a.privateVrf, leaseIp: held.ip, instant: t, windowFrom });
        }
      });
    }

    // a holding whose end the source stated without its time, known to have run only until before
    // the window: the subscriber may have held the address then, or nobody (docs/attribution.md)
    if (pairs.some(endsUnknown)) {
      incomplete = true;
      reasons.add('end_unknown');
    }
    return { inRetention: true, pairs, reasons, allocations, incomplete, searches };
  }

  /**
   * The status for `n` candidates, and the reasons that follow from them and from each pair
   * (added to `f.reasons` in the answer's order).
   */
  private conclude(f: Findings, n: number): Status {
    const { pairs, reasons } = f;
    let status: Status;
    if (n === 0) {
      status = 'not_found';
      reasons.add(f.allocations === 0 && !reasons.has('direct_public_address') ? 'no_allocation' : 'no_lease');
    } else if (n > 1 || f.incomplete) {
      // one known subscriber beside a block whose holder is unknown is not a unique answer
      status = 'ambiguous';
    } else {
      status = 'unique';
    }
    if (n > 1 && !this.allHoldAtInstant(pairs)) reasons.add('tolerance_crossing');
    for (const p of pairs) this.qualify(p, reasons);
    return status;
  }

  /** The allocations of the NAT hop that meet the window, with their inside address and VRF. */
  private async allocations(q: NormalisedQuery, stab: NatStab, from: number, to: number): Promise<Allocation[]> {
    const out: Allocation[] = [];
    const ids: number[] = [];
    for (const chain of stab.chains) {
      if (q.natInstance !== undefined && chain.natInstance !== q.natInstance) continue;
      if (q.protocol !== undefined && chain.protocol !== null && chain.protocol !== q.protocol) continue;
      for (const cover of coverages(chain.entries)) {
        if (!intersects(cover, from, to)) continue;
        ids.push(cover.entry.profile);
        out.push({ kind: 'logged', chain, cover, privateIp: bytesToIp(cover.entry.who), privateVrf: '', source: '', ingest: null, evidence: null });
      }
    }
    if (out.length === 0) return out;
    const profiles = await this.profiles.describe(ids);
    for (const a of out) {
      const p = profiles.get(a.cover.entry.profile);
      a.privateVrf = p?.vrf ?? 'default';
      a.source = p?.source ?? 'unknown';
      a.ingest = p?.ingest ?? null;
    }
    return out;
  }

  /**
   * The leases behind an inside address: its own, and for an IPv6 one (a DS-Lite B4 address, a
   * MAP CE address) also every delegated prefix held that contains it, since the subscriber's
   * router may hold its WAN address or only the prefix it numbers itself from.
   */
  private async insideLeases(vrf: string, ip: string, from: number, to: number): Promise<Array<{ ip: string; leases: Coverage[] }>> {
    const addresses = isIpv4(ip) ? [ip] : await this.reader.directAddresses(ip);
    const leases = await Promise.all(addresses.map((a) => this.leaseHop(vrf, a, from, to)));
    return addresses.map((a, i) => ({ ip: a, leases: leases[i] }));
  }

  /**
   * Two configuration versions in force together (or one that cannot be computed with), or a
   * logged allocation naming another inside holder than the formula at an instant both cover.
   */
  private conflicting(computed: ComputedWindow, logged: Allocation[], port: number | null): boolean {
    if (computed.conflict) return true;
    return logged.some((a) => contradicts(computed, { cover: a.cover, privateIp: a.privateIp, portStart: a.chain.portStart, portEnd: a.chain.portEnd }, port));
  }

  /**
   * The leases behind a computed holder: an inside address as for a logged one; a MAP end-user
   * prefix leads to the delegated prefix of exactly that prefix and to every shorter one held
   * that contains it (the subscriber's router was delegated the prefix, or a wider one).
   */
  private async computedLeases(h: ComputedHolder, from: number, to: number): Promise<Array<{ ip: string; leases: Coverage[] }>> {
    const inside = h.mapping.inside;
    const slash = inside.indexOf('/');
    if (slash < 0) return this.insideLeases(COMPUTED_VRF, inside, from, to);
    const length = Number(inside.slice(slash + 1));
    const prefixes = (await this.reader.directAddresses(inside.slice(0, slash))).filter((p) => p.includes('/') && Number(p.slice(p.indexOf('/') + 1)) <= length);
    const leases = await Promise.all(prefixes.map((p) => this.leaseHop(COMPUTED_VRF, p, from, to)));
    return prefixes.map((p, i) => ({ ip: p, leases: leases[i] }));
  }

  private async leaseHop(vrf: string, ip: string, from: number, to: number): Promise<Coverage[]> {
    if (from > to) return [];
    return meeting(await this.reader.lease(vrf, ip, from, to), from, to);
  }

  private async fill(answer: AttributionAnswer, pairs: Pair[]) {
    const profiles = await this.profiles.describe(pairs.map((p) => p.lease.entry.profile));
    const ip = answer.query.ip;
    const held = holdings(ip, pairs, (p, _allocationId, leaseId) => ({
      allocation: p.allocation ? allocationEvidence(ip, p.allocation) : null,
      lease: leaseEvidence(p, leaseId, profiles.get(p.lease.entry.profile)),
    }));
    answer.candidates = [...held.keys()].sort(bySubscriberId).map((subscriberId) => ({ subscriberId, evidence: held.get(subscriberId)! }));
  }

  /** Whether every candidate held the address at the exact instant, not only within the window. */
  private allHoldAtInstant(pairs: Array<Pair & { instant: number }>): boolean {
    const holders = new Set<string>();
    const all = new Set<string>();
    for (const p of pairs) {
      const who = p.lease.entry.who.toString('utf8');
      all.add(who);
      const t = p.instant;
      const nat = p.allocation === null || intersects(p.allocation.cover, t, t);
      if (nat && intersects(p.lease, t, t)) holders.add(who);
    }
    return holders.size === all.size;
  }

  private qualify(p: Pair & { instant: number }, reasons: Set<Reason>) {
    const a = p.allocation?.kind === 'logged' ? p.allocation.cover.entry : undefined;
    if (a) qualifyEntry(a, reasons);
    qualifyEntry(p.lease.entry, reasons);
    if (a && a.end === null && a.lastSeen !== null && p.instant - a.lastSeen > this.config.interimIntervalS * 1000) {
      reasons.add('log_gap');
    }
  }
}

/** What an entry of a pair says of its own interval (the allocation's first, then the lease's). */
function qualifyEntry(e: Entry, reasons: Set<Reason>) {
  if (e.end === null) reasons.add('open_interval');
  if (OPEN_ENDED.has(e.endBasis) && !e.orphan) reasons.add('end_inferred');
  if (e.startInferred) reasons.add('start_inferred');
  if (e.orphan) reasons.add('start_unknown');
}

function endsUnknown(p: Pair): boolean {
  const notBefore = p.lease.entry.endNotBefore;
  return notBefore !== undefined && notBefore < p.windowFrom;
}

/** What of a chain's entries meets [from, to]. */
function meeting(entries: Entry[], from: number, to: number): Coverage[] {
  return coverages(entries).filter((c) => intersects(c, from, to));
}

/** Candidates in the answer's order. */
const bySubscriberId = (a: string, b: string) => (a < b ? -1 : 1);

/**
 * Each holding the pairs name, grouped by its subscriber in the order first met: `item` makes
 * what the answer shows of it (`fill`: the evidence; `resolveCompact`: its reference). The same
 * holding reached twice (both instants of a repeated hour) is taken once.
 */
function holdings<T>(publicIp: string, pairs: Pair[], item: (p: Pair, allocationId: string | null, leaseId: string) => T): Map<string, T[]> {
  const bySubscriber = new Map<string, T[]>();
  // one pair (the usual answer) cannot repeat itself
  const seen = pairs.length > 1 ? new Set<string>() : null;
  for (const p of pairs) {
    const allocation = p.allocation ? allocationId(publicIp, p.allocation) : null;
    const id = leaseId(p);
    if (seen) {
      const key = `${allocation ?? ''}#${id}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    const subscriberId = p.lease.entry.who.toString('utf8');
    let items = bySubscriber.get(subscriberId);
    if (!items) {
      items = [];
      bySubscriber.set(subscriberId, items);
    }
    items.push(item(p, allocation, id));
  }
  return bySubscriber;
}

/** A piece of evidence in a CSV row: `<allocation id>-><lease id>`, or the lease id alone for a public address resolved directly. */
const evidenceRef = (allocationId: string | null, leaseId: string) => (allocationId === null ? leaseId : `${allocationId}->${leaseId}`);

function allocationId(publicIp: string, a: NatHolder): string {
  if (a.kind === 'computed') return computedEvidence(publicIp, a).id;
  if (a.evidence !== null) return a.evidence.id;
  const e = a.cover.entry;
  return `nat:${publicIp}|${a.chain.cid}|${e.orphan ? `end:${e.start}` : e.start}`;
}

function allocationEvidence(publicIp: string, a: NatHolder): AllocationEvidence {
  if (a.kind === 'computed') return computedEvidence(publicIp, a);
  if (a.evidence !== null) return a.evidence;
  const e = a.cover.entry;
  return (a.evidence = {
    id: allocationId(publicIp, a),
    natInstance: a.chain.natInstance,
    publicIp,
    portStart: a.chain.portStart,
    portEnd: a.chain.portEnd,
    protocol: a.chain.protocol,
    privateIp: a.privateIp,
    privateVrf: a.privateVrf,
    start: e.orphan ? null : isoMs(e.start),
    startNotBefore: a.cover.notBefore === null ? null : isoMs(a.cover.notBefore),
    startInferred: e.startInferred,
    end: e.end === null ? null : isoMs(e.end),
    endBasis: e.endBasis,
    lastSeen: e.lastSeen === null ? null : isoMs(e.lastSeen),
    source: a.source,
    ingest: a.ingest,
  });
}

function leaseId(p: Pair): string {
  const e = p.lease.entry;
  return `lease:${p.leaseVrf}|${p.leaseIp}|${e.orphan ? `end:${e.start}` : e.start}`;
}

function leaseEvidence(p: Pair, id: string, profile: Profile | undefined): LeaseEvidence {
  const e: Entry = p.lease.entry;
  return {
    id,
    ip: p.leaseIp,
    vrf: p.leaseVrf,
    subscriberId: e.who.toString('utf8'),
    start: e.orphan ? null : isoMs(e.start),
    startNotBefore: p.lease.notBefore === null ? null : isoMs(p.lease.notBefore),
    end: e.end === null ? null : isoMs(e.end),
    ...(e.endNotBefore === undefined ? {} : { endNotBefore: isoMs(e.endNotBefore) }),
    endBasis: e.endBasis,
    source: profile?.source ?? 'unknown',
    ingest: profile?.ingest ?? null,
  };
}
