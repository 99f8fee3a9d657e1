// Copies what tsc does not: the Lua scripts loaded beside their compiled modules.
import { cpSync } from 'node:fs';

for (const dir of ['timeindex/lua', 'audit/lua', 'retention/lua']) {
  cpSync(new URL(`../${dir}`, import.meta.url), new URL(`../dist/${dir}`, import.meta.url), { recursive: true });
}
