import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The import rule of docs/architecture.md, checked on the code itself: a room imports only from
 * rooms on a lower floor (and from itself). Data flows one way, device line to answer, so a
 * module never needs anything from a stage after its own; an import that runs back up means the
 * piece belongs a floor lower.
 */
export const FLOORS: Record<string, number> = {
  core: 0,
  schemas: 0,
  'config.ts': 0,
  redis: 1,
  events: 1,
  parse: 2,
  timeindex: 2,
  // computed NAT mappings (deterministic NAT, MAP): formulas and the versions of a configuration
  natconfig: 2,
  intake: 3,
  resolver: 3,
  audit: 3,
  retention: 4,
  bulk: 4,
  // the composition point: every room's script table on every client
  'commands.ts': 5,
  // the disclosure report: an answer or a bulk job, its evidence and access-log record, signed
  report: 5,
  service: 6,
  cli: 7,
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = posix.join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...sources(rel));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** A file's room: its top folder, or the file itself at the root (an import names it `.js`). */
const roomOf = (file: string) => (file.includes('/') ? file.split('/')[0] : file.replace(/\.js$/, '.ts'));

/** Every relative import of the product's modules, as [importer, imported] paths from the root. */
function edges(): Array<[string, string]> {
  const files = Object.keys(FLOORS).flatMap((room) => (room.endsWith('.ts') ? [room] : sources(room)));
  expect(files.length).toBeGreaterThan(100);
  const out: Array<[string, string]> = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      out.push([file, posix.normalize(posix.join(posix.dirname(file), m[1]))]);
    }
  }
  return out;
}

describe('the import rule', () => {
  it('knows every room of the product', () => {
    const tops = readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory() && sources(n).length > 0);
    const notProduct = new Set(['test', 'loadtest', 'node_modules', 'dist', 'scripts', 'bin', 'examples', 'docs', 'deploy']);
    expect(tops.filter((t) => !notProduct.has(t) && !(t in FLOORS) && !t.startsWith('.'))).toEqual([]);
  });

  it('no import runs back up a floor or sideways into another room of the same floor', () => {
    const wrong = edges()
      .filter(([from, to]) => roomOf(from) !== roomOf(to))
      .filter(([from, to]) => !(FLOORS[roomOf(to)] < FLOORS[roomOf(from)]))
      .map(([from, to]) => `${from} (floor ${FLOORS[roomOf(from)]}) imports ${relative('.', to)} (floor ${FLOORS[roomOf(to)] ?? 'unknown'})`);
    expect(wrong).toEqual([]);
  });
});
