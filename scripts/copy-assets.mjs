// Copies what tsc does not: the Lua scripts loaded beside their compiled modules, and the desk's style sheet.
import { cpSync } from 'node:fs';

for (const dir of ['timeindex/lua', 'audit/lua', 'retention/lua', 'service/web/assets']) {
  cpSync(new URL(`../${dir}`, import.meta.url), new URL(`../dist/${dir}`, import.meta.url), { recursive: true });
}
