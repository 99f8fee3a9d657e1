import { readFileSync } from 'node:fs';

/**
 * The `local NAME = value` and `local A, B = 1, 2` definitions of a Lua include, and the
 * `NAME = 'value'` fields of its tables: what the agreement tests compare with TypeScript.
 */
export function luaConstants(include: string): Map<string, number | string> {
  const text = readFileSync(new URL(`../../timeindex/lua/includes/${include}.lua`, import.meta.url), 'utf8');
  const out = new Map<string, number | string>();
  const value = (v: string) => (/^'.*'$/.test(v) ? v.slice(1, -1) : Number(v));
  for (const [, names, values] of text.matchAll(/^local ([A-Z_0-9, ]+) = ([-\d., ]+)$/gm)) {
    const ns = names.split(',').map((n) => n.trim());
    const vs = values.split(',').map((v) => v.trim());
    if (ns.length !== vs.length) throw new Error(`${include}.lua: ${names} = ${values} does not pair up`);
    ns.forEach((n, i) => out.set(n, value(vs[i])));
  }
  for (const [, name, v] of text.matchAll(/^\s+([A-Z_0-9]+) = ('[^']*'),?$/gm)) out.set(name, value(v));
  return out;
}
