import { beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app.js';
import { loadSmallIsp, postBulk } from '../bulk/helpers.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp();
  await loadSmallIsp(app);
});

describe('NDJSON answers keep every input column', () => {
  it('a column named __proto__ (or constructor) comes back as data, not dropped', async () => {
    const r = await postBulk(app, 'id,ip,port,timestamp,__proto__,constructor\n1,198.51.100.7,1100,2026-10-25T00:30:00Z,evil,x\n', 'format=ndjson');
    expect(r.statusCode, r.body).toBe(200);
    const line = JSON.parse(r.body.trim());
    expect(Object.keys(line.input)).toEqual(['id', 'ip', 'port', 'timestamp', '__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(line.input, '__proto__')?.value).toBe('evil');
    expect(line.input.constructor).toBe('x');
    expect(line.status).toBe('unique');
  });
});
