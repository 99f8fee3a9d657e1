// The CLI as an operator runs it, from the sources: tests start it with `node --import tsx`.
import { main } from '../../cli/main.js';

await main(process.argv);
