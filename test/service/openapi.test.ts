import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openapiYaml } from '../../service/openapi-document.js';

describe('openapi.yaml', () => {
  it('is what the service serves (regenerate with `npm run openapi`)', async () => {
    const committed = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8');
    expect(committed).toBe(await openapiYaml());
  });
});
