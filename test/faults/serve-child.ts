// The real service as `whohad serve` runs it (service/server.ts: listener, SIGTERM handling),
// started by the SIGTERM fault test in a child process with `node --import tsx`. Prints the
// address it listens on as one JSON line.
import { loadConfig } from '../../config.js';
import { serve } from '../../service/server.js';

const running = await serve(loadConfig());
process.stdout.write(`${JSON.stringify({ listening: running.address })}\n`);
