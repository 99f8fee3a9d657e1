// Copies what tsc does not: every room's Lua scripts (each `lua` folder of the source tree,
// found rather than listed, so a new room's scripts cannot be left behind) loaded beside their
// compiled modules, and the desk's style sheet.
import { cpSync, readdirSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const SKIP = new Set(['node_modules', 'dist', 'test', 'test-artifacts', 'data', '.git', '.ci']);

function luaFolders(dir) {
  const out = [];
  for (const e of readdirSync(new URL(dir || '.', root), { withFileTypes: true })) {
    if (!e.isDirectory() || SKIP.has(e.name)) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.name === 'lua') out.push(rel);
    else out.push(...luaFolders(rel));
  }
  return out;
}

for (const dir of [...luaFolders(''), 'service/web/assets']) {
  cpSync(new URL(dir, root), new URL(`dist/${dir}`, root), { recursive: true });
}
