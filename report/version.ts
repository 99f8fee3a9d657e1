import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { name: string; version: string } | null = null;

/** The software that made a report: the package's name and version, from source or from dist/. */
export function softwareVersion(): { name: string; version: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'whohad' && pkg.version) return (cached = { name: pkg.name, version: pkg.version });
    } catch {
      // not here: one folder up
    }
  }
  return (cached = { name: 'whohad', version: 'unknown' });
}
