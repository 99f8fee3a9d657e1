// The CLI as `whohad` runs it, from the source tree (the tests spawn it with tsx).
import { main } from '../../cli/main.js';

await main(process.argv);
