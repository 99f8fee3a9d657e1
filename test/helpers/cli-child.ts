// The CLI as `whohad` runs it, for tests that start it as a real process (signals, exit codes,
// what reaches standard error): `node --import tsx test/helpers/cli-child.ts COMMAND …`.
import { main } from '../../cli/main.js';

await main(process.argv);
