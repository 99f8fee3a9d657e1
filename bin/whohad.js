#!/usr/bin/env node
// The CLI runs from the compiled tree; `npm start`, `npm test` and `npm run build` produce it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('whohad is not built yet: run `npm run build` (or `npm start`, which builds first).\n');
  process.exit(2);
}
const { main } = await import(entry.href);
await main(process.argv);
