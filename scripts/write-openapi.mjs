// Writes openapi.yaml from the compiled service; a test fails when the two differ.
import { writeFileSync } from 'node:fs';

const { openapiYaml } = await import(new URL('../dist/service/openapi-document.js', import.meta.url).href);
writeFileSync(new URL('../openapi.yaml', import.meta.url), await openapiYaml());
process.stderr.write('openapi.yaml written\n');
