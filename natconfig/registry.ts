import { DomainError } from '../core/domain-error.js';
import type { NatConfigFormat } from './format.js';
import { unpublishedFormats } from './formats/unpublished.js';

/**
 * The configuration formats an installation knows, looked up by the name an operator gives to
 * `--format` and that each version stores. The list is handed in (the service and the CLI pass
 * the formats they ship), so a test can run the whole path on a format of its own.
 */
export class NatConfigRegistry {
  private readonly byName = new Map<string, NatConfigFormat>();

  constructor(formats: readonly NatConfigFormat[]) {
    for (const f of formats) {
      // two formats under one name would make a stored version's formula depend on list order
      if (this.byName.has(f.name)) throw new Error(`two NAT configuration formats are named ${JSON.stringify(f.name)}`);
      this.byName.set(f.name, f);
    }
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** The format of that name, or null. */
  find(name: string): NatConfigFormat | null {
    return this.byName.get(name) ?? null;
  }

  /** The format of that name; an unknown name is a bad parameter that lists the known ones. */
  get(name: string, field = 'format'): NatConfigFormat {
    const f = this.find(name);
    if (f) return f;
    // a vendor whose formula is not public: why, and the way round it (`table`)
    if (Object.hasOwn(unpublishedFormats, name)) throw new DomainError('bad_parameter', unpublishedFormats[name], field);
    const known = this.names();
    throw new DomainError('bad_parameter', `${JSON.stringify(name)} is not a NAT configuration format this installation knows (${known.length ? `known: ${known.join(', ')}` : 'none is installed'})`, field);
  }
}
