// Copies what tsc does not: the Lua scripts the time index loads beside its compiled code.
import { cpSync } from 'node:fs';

cpSync(new URL('../timeindex/lua', import.meta.url), new URL('../dist/timeindex/lua', import.meta.url), { recursive: true });
