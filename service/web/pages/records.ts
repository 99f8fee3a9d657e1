import type { AuditRecord } from '../../../audit/log.js';
import type { VerifyResult } from '../../../audit/read.js';
import { html, queryString, type Html } from '../html.js';
import { page, type PageContext } from '../layout.js';
import { reportLinks } from './lookup.js';

const asked = (r: AuditRecord) => {
  const q = (r.query ?? {}) as Record<string, unknown>;
  if (r.kind === 'bulk') return html`bulk job <a href="/bulk/${String(q.job)}">${String(q.job)}</a> rows ${Array.isArray(q.rows) ? q.rows.join('–') : ''}`;
  if (q.ip === undefined) return html`${r.route ?? ''}`;
  return html`${String(q.ip)}${q.port === undefined ? '' : `:${String(q.port)}`} at ${String(q.at)}${q.tz ? ` (${String(q.tz)})` : ''}`;
};

/** Access-log records as a table: who, when, under which case and why, what was asked and disclosed. */
export function recordsTable(records: AuditRecord[], caption: string): Html {
  if (records.length === 0) return html`<p class="empty">No records.</p>`;
  return html`<div class="scroll"><table class="records"><caption>${caption}</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">User</th><th scope="col">Case</th><th scope="col">Legal basis</th><th scope="col">Purpose</th><th scope="col">Asked</th><th scope="col">Status / reason</th><th scope="col">Disclosed</th><th scope="col">Record</th></tr></thead>
<tbody>${records.map(
    (r) => html`<tr data-kind="${r.kind}"><td>${r.time}</td><td>${r.kind}</td><td>${r.user ?? '–'}</td><td>${r.case ?? ''}</td><td>${r.legalBasis ?? ''}</td><td>${r.purpose ?? ''}</td><td>${asked(r)}</td><td>${r.status ?? r.reason ?? ''}</td><td>${r.disclosed.join(', ')}</td><td><code title="${r.hash}">${r.chain}#${r.seq}</code></td></tr>`,
  )}</tbody></table></div>`;
}

export function casePage(ctx: PageContext, caseRef: string, records: AuditRecord[], onlyOwn: boolean): Html {
  const lookups = records.filter((r) => r.kind === 'lookup');
  const jobs = new Map<string, AuditRecord[]>();
  for (const r of records.filter((r) => r.kind === 'bulk')) {
    const job = String((r.query as Record<string, unknown> | undefined)?.job ?? '');
    jobs.set(job, [...(jobs.get(job) ?? []), r]);
  }
  const form = html`<form method="get" action="/case" class="inline"><label for="f-case">Case</label> <input id="f-case" name="case" value="${caseRef}" required> <button type="submit">Show</button></form>`;
  if (!caseRef) return page('Case', ctx, form, '/case');
  const q = (r: AuditRecord) => (r.query ?? {}) as Record<string, string | number | undefined>;
  return page(
    `Case ${caseRef}`,
    ctx,
    html`${form}<p>${onlyOwn ? 'Your' : 'Every'} look-up and bulk job of this case, as the access log recorded them: nothing is asked again to show this page.</p>
<h2>Look-ups (${lookups.length})</h2>
${lookups.length === 0 ? html`<p class="empty">No look-ups.</p>` : html`<div class="scroll"><table class="records"><thead><tr><th scope="col">Time</th><th scope="col">User</th><th scope="col">Asked</th><th scope="col">Status</th><th scope="col">Disclosed</th><th scope="col">Record</th><th scope="col">Report</th></tr></thead>
<tbody>${lookups.map((r) => html`<tr><td>${r.time}</td><td>${r.user}</td><td>${asked(r)}</td><td>${r.status}</td><td>${r.disclosed.join(', ')}</td><td><code title="${r.hash}">${r.chain}#${r.seq}</code></td><td>${reportLinks('whohad-report', `/v1/attribution/report${queryString({ ip: q(r).ip, port: q(r).port, at: q(r).at, tz: q(r).tz, tolerance: q(r).tolerance, case: r.case ?? '', legalBasis: r.legalBasis ?? '', purpose: r.purpose ?? '' })}`)}</td></tr>`)}</tbody></table></div>`}
<h2>Bulk jobs (${jobs.size})</h2>
${jobs.size === 0 ? html`<p class="empty">No bulk jobs.</p>` : html`<table class="records"><thead><tr><th scope="col">Job</th><th scope="col">User</th><th scope="col">Started</th><th scope="col">Rows recorded</th><th scope="col">Subscribers disclosed</th></tr></thead>
<tbody>${[...jobs].map(([job, rs]) => {
      const rows = rs.reduce((n, r) => n + (Number.parseInt(r.status ?? '0', 10) || 0), 0);
      const disclosed = new Set(rs.flatMap((r) => r.disclosed));
      return html`<tr><td><a href="/bulk/${job}">${job}</a></td><td>${rs[0].user}</td><td>${rs[rs.length - 1].time}</td><td>${rows}</td><td>${disclosed.size}</td></tr>`;
    })}</tbody></table>`}`,
    '/case',
  );
}

export interface AuditSearch {
  user: string;
  case: string;
  subscriber: string;
  from: string;
  to: string;
}

export function auditPage(ctx: PageContext, s: AuditSearch, records: AuditRecord[], next: string | null, error: string | null): Html {
  const field = (name: keyof AuditSearch, label: string, hint = '') =>
    html`<div class="field"><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" value="${s[name]}" autocomplete="off"${hint ? html` placeholder="${hint}"` : ''}></div>`;
  return page(
    'Audit',
    ctx,
    html`<form method="get" action="/audit" class="search">${field('user', 'User')}${field('case', 'Case')}${field('subscriber', 'Subscriber')}${field('from', 'From', '2026-10-01T00:00:00Z')}${field('to', 'To', '2026-10-31T23:59:59Z')}<button type="submit">Search</button></form>
<p><a href="/audit/verify">Verify the hash chain</a> · <a href="/audit/subject">Data-subject view</a></p>
${error ? html`<p class="notice" role="alert">${error}</p>` : ''}
${recordsTable(records, 'Access-log records, newest first')}
${next ? html`<p><a href="/audit${queryString({ ...s, before: next })}" rel="next">Older records</a></p>` : ''}`,
    '/audit',
  );
}

export function subjectPage(ctx: PageContext, subscriber: string, records: AuditRecord[]): Html {
  return page(
    'Data subject',
    ctx,
    html`<form method="get" action="/audit/subject" class="inline"><label for="f-subscriber">Subscriber</label> <input id="f-subscriber" name="subscriber" value="${subscriber}" required autocomplete="off"> <button type="submit">Show</button></form>
${subscriber ? html`<p>Who searched for <strong>${subscriber}</strong>, when and why: every look-up and bulk job whose answer named this subscriber.</p>${recordsTable(records, `Disclosures of ${subscriber}`)}` : ''}`,
    '/audit/subject',
  );
}

export function verifyPage(ctx: PageContext, v: VerifyResult): Html {
  return page(
    'Hash chain',
    ctx,
    html`<p class="chain-status ${v.ok ? 'ok' : 'broken'}" role="status"><strong>${v.ok ? 'Intact' : 'Broken'}</strong>: ${v.records} records verified${v.broken ? html`; record <code>${v.broken.id}</code>${v.broken.chain ? ` of chain ${v.broken.chain}` : ''}${v.broken.seq === null ? '' : ` (seq ${v.broken.seq})`}: ${v.broken.reason}` : '.'}</p>
<table><thead><tr><th scope="col">Chain</th><th scope="col">Verified from</th><th scope="col">to</th><th scope="col">Records</th></tr></thead><tbody>${v.chains.map((c) => html`<tr><td>${c.chain}</td><td>${c.anchorSeq}</td><td>${c.headSeq}</td><td>${c.records}</td></tr>`)}</tbody></table>`,
    '/audit',
  );
}
