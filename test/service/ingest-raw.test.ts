import { beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';

const H4 = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id';

let app: TestApp;
beforeAll(async () => {
  app = await testApp();
});

describe('POST /v1/ingest/{format}', () => {
  it('reads a Kea lease file as Kea writes it, stores the holdings and lists the bad rows', async () => {
    const expire = Date.UTC(2026, 9, 25, 12) / 1000;
    const body = [H4, `100.64.7.1,00:16:3e:aa:bb:01,,86400,${expire},1,0,0,cpe-1,0,,0`, `100.64.7.2,00:16:3e:aa:bb:02,,86400,notanumber,1,0,0,cpe-2,0,,0`].join('\r\n');
    const r = await app.inject({ method: 'POST', url: '/v1/ingest/kea-csv', headers: { ...app.auth, 'content-type': 'text/csv' }, payload: body });
    expect(r.statusCode).toBe(200);
    expect(r.json().accepted).toBe(1);
    expect(r.json().rejected).toHaveLength(1);
    expect(r.json().rejected[0]).toMatchObject({ line: 3 });
    const a = await app.inject({ url: `/v1/attribution?ip=100.64.7.1&at=2026-10-25T00:00:00Z&${PURPOSE}`, headers: app.auth });
    expect(a.json().subscriberId).toBe('00:16:3e:aa:bb:01');
  });

  it('names the valid formats when the format is unknown', async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/ingest/cisco-pix', headers: { ...app.auth, 'content-type': 'text/plain' }, payload: 'x' });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/unknown format "cisco-pix"; valid formats: .*juniper-pba/);
  });

  it('sends IPFIX elsewhere, since it is binary', async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/ingest/ipfix', headers: { ...app.auth, 'content-type': 'application/octet-stream' }, payload: 'x' });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/whohad collect --ipfix/);
  });

  it('refuses a source the service does not know', async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/ingest/kea-csv?source=dhcp9', headers: { ...app.auth, 'content-type': 'text/csv' }, payload: H4 });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/no configured source named "dhcp9"/);
  });
});
