import { normaliseQuery } from '../resolver/query.js';

export interface ResolveOptions {
  ip: string;
  port?: string;
  at: string;
  tz?: string;
  tolerance?: string;
  url: string;
  token?: string;
  case: string;
  legalBasis: string;
  purpose: string;
}

/**
 * Asks the running service, so every look-up takes the one path and the one audit. The query is
 * read first by the normaliser the service uses, so a value it would refuse (a hex port, an
 * unknown zone) is refused here, as a DomainError, before a token or network is involved; what
 * is sent is what was asked.
 */
export async function resolveCommand(o: ResolveOptions): Promise<number> {
  const checked = normaliseQuery({ ip: o.ip, port: o.port, at: o.at, tz: o.tz, tolerance: o.tolerance });
  if (!checked.ok) throw checked.errors[0];
  if (!o.token) {
    process.stderr.write('whohad resolve: no token: pass --token or set WHOHAD_TOKEN (create one with `whohad token create --name NAME --role investigator`)\n');
    return 2;
  }
  const params = new URLSearchParams({ ip: o.ip, at: o.at, case: o.case, legalBasis: o.legalBasis, purpose: o.purpose });
  if (o.port !== undefined) params.set('port', o.port);
  if (o.tz !== undefined) params.set('tz', o.tz);
  if (o.tolerance !== undefined) params.set('tolerance', o.tolerance);
  const url = `${o.url.replace(/\/$/, '')}/v1/attribution?${params}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${o.token}` } });
  } catch (err) {
    process.stderr.write(`whohad resolve: cannot reach the service at ${o.url} (${(err as Error).cause ?? (err as Error).message}). Start it with \`npm start\` or pass --url.\n`);
    return 2;
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = JSON.parse(text).message ?? text;
    } catch {
      // not JSON: show the body as it came
    }
    process.stderr.write(`whohad resolve: ${res.status}: ${message}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  return 0;
}
