import type { AuditRecord } from '../../../audit/log.js';
import type { AttributionAnswer } from '../../../schemas/attribution.js';
import { END_TEXT, explainReason, STATUS_TEXT } from '../explain.js';
import { html, queryString, type Html } from '../html.js';
import { page, problems, type PageContext } from '../layout.js';
import type { CaseGrounds } from '../session.js';
import { timelineSvg } from '../timeline.js';
import { ingestText } from '../../../report/ingest-text.js';

/** The look-up form's fields, as typed (strings, read by the one query normaliser). */
export interface LookupForm {
  ip: string;
  port: string;
  at: string;
  tz: string;
  tolerance: string;
  case: string;
  legalBasis: string;
  purpose: string;
}

export interface LookupFormView {
  form: LookupForm;
  errors: Array<{ field?: string; message: string }>;
  zones: string[];
  legalBases: string[];
  remembered: Map<string, CaseGrounds>;
}

const invalid = (errors: LookupFormView['errors'], field: string) => (errors.some((e) => e.field === field) ? html` aria-invalid="true"` : '');

export function lookupFormPage(ctx: PageContext, v: LookupFormView): Html {
  const f = v.form;
  const remembered = JSON.stringify(Object.fromEntries(v.remembered));
  return page(
    'Look-up',
    ctx,
    html`${problems(v.errors)}
<form method="post" action="/lookup" class="lookup" data-remembered="${remembered}">
<input type="hidden" name="_csrf" value="${ctx.csrf}">
<fieldset><legend>What was seen</legend>
<div class="field"><label for="f-ip">Public IP address</label><input id="f-ip" name="ip" value="${f.ip}" required spellcheck="false" autocomplete="off"${invalid(v.errors, 'ip')}></div>
<div class="field"><label for="f-port">Source port <span class="opt">(optional)</span></label><input id="f-port" name="port" value="${f.port}" inputmode="numeric" autocomplete="off" aria-describedby="port-help"${invalid(v.errors, 'port')}><p id="port-help" class="help">Without a port every subscriber sharing the address is named.</p></div>
<div class="field"><label for="f-at">Time</label><input id="f-at" name="at" value="${f.at}" required spellcheck="false" autocomplete="off" aria-describedby="at-help"${invalid(v.errors, 'at')}><p id="at-help" class="help">As the server logged it: a local time such as <code>2026-10-25T02:30</code> (read in the zone below), or with <code>Z</code> or an offset, or epoch seconds.</p></div>
<div class="field"><label for="f-tz">Time zone</label><select id="f-tz" name="tz"${invalid(v.errors, 'tz')}>${v.zones.map((z) => html`<option${z === f.tz ? html` selected` : ''}>${z}</option>`)}</select></div>
<div class="field"><label for="f-tolerance">Tolerance, seconds either side</label><input id="f-tolerance" name="tolerance" value="${f.tolerance}" inputmode="decimal" autocomplete="off"${invalid(v.errors, 'tolerance')}></div>
</fieldset>
<fieldset><legend>Why it is asked (kept in the access log)</legend>
<div class="field"><label for="f-case">Case</label><input id="f-case" name="case" value="${f.case}" required list="cases" autocomplete="off"${invalid(v.errors, 'case')}><datalist id="cases">${[...v.remembered.keys()].map((c) => html`<option value="${c}"></option>`)}</datalist></div>
<div class="field"><label for="f-legalBasis">Legal basis</label><select id="f-legalBasis" name="legalBasis" required${invalid(v.errors, 'legalBasis')}>${v.legalBases.map((b) => html`<option${b === f.legalBasis ? html` selected` : ''}>${b}</option>`)}</select></div>
<div class="field wide"><label for="f-purpose">Purpose</label><input id="f-purpose" name="purpose" value="${f.purpose}" required autocomplete="off"${invalid(v.errors, 'purpose')}></div>
</fieldset>
<button type="submit">Look up</button>
</form>`,
    '/lookup',
  );
}

function reportLinks(kind: string, href: string): Html {
  return html`<p class="downloads">Download report: <a href="${href}" data-accept="application/pdf" data-download="${kind}.pdf">PDF</a> · <a href="${href}" data-accept="application/json" data-download="${kind}.json">JSON</a> <span class="help">(a report is a look-up of its own and is recorded as one)</span></p>`;
}

const when = (iso: string | null, notBefore?: string | null) => (iso ?? (notBefore ? `unknown, not before ${notBefore}` : 'unknown'));

export function answerPage(ctx: PageContext, a: AttributionAnswer, record: AuditRecord, form: LookupForm): Html {
  const reportHref = `/v1/attribution/report${queryString({ ip: form.ip, port: form.port, at: form.at, tz: form.tz, tolerance: form.tolerance, case: form.case, legalBasis: form.legalBasis, purpose: form.purpose })}`;
  const q = a.query;
  return page(
    'Answer',
    ctx,
    html`<section class="status status-${a.status}" aria-labelledby="status-h">
<h2 id="status-h">Status: <span class="status-name" data-status="${a.status}">${a.status.replace('_', ' ')}</span>${a.subscriberId ? html` — subscriber <strong class="subscriber">${a.subscriberId}</strong>` : ''}</h2>
<p>${STATUS_TEXT[a.status]}</p>
${a.reasons.length ? html`<h3>What qualifies this answer</h3><ul class="reasons">${a.reasons.map((r) => html`<li data-reason="${r}"><strong>${r}</strong>: ${explainReason(r, a)}</li>`)}</ul>` : html`<p>No reason qualifies this answer.</p>`}
</section>
<section aria-labelledby="q-h"><h2 id="q-h">The question</h2>
<dl class="question"><dt>Address</dt><dd>${q.ip}${q.port === null ? ' (no port)' : `:${q.port}`}</dd><dt>Time as asked</dt><dd>${q.at} (${q.tz ?? 'UTC'})</dd><dt>Tolerance</dt><dd>±${q.tolerance} s</dd><dt>Case</dt><dd>${form.case}</dd><dt>Legal basis</dt><dd>${form.legalBasis}</dd><dt>Purpose</dt><dd>${form.purpose}</dd></dl>
<table class="instants"><caption>Instants resolved</caption><thead><tr><th scope="col">UTC</th><th scope="col">Local</th><th scope="col">Window from</th><th scope="col">Window to</th></tr></thead>
<tbody>${a.instants.map((i) => html`<tr><td>${i.utc}</td><td>${i.local}</td><td>${i.windowFrom}</td><td>${i.windowTo}</td></tr>`)}</tbody></table>
</section>
<section aria-labelledby="tl-h"><h2 id="tl-h">Evidence timeline</h2>
${timelineSvg(a)}
</section>
<section aria-labelledby="c-h"><h2 id="c-h">Candidates (${a.candidates.length})</h2>
${a.candidates.length === 0 ? html`<p>None.</p>` : a.candidates.map(
      (c) => html`<table class="evidence"><caption>Subscriber <strong>${c.subscriberId}</strong></caption>
<thead><tr><th scope="col">Record</th><th scope="col">What</th><th scope="col">Start</th><th scope="col">End</th><th scope="col">End basis</th><th scope="col">Source</th></tr></thead>
<tbody>${c.evidence.map((e) => html`${e.allocation ? html`<tr><td><code>${e.allocation.id}</code></td><td>allocation ${e.allocation.natInstance} ${e.allocation.publicIp} ports ${e.allocation.portStart ?? '*'}–${e.allocation.portEnd ?? '*'} → ${e.allocation.privateIp} (${e.allocation.privateVrf})</td><td>${when(e.allocation.start, e.allocation.startNotBefore)}</td><td>${e.allocation.end ?? 'open'}</td><td>${END_TEXT[e.allocation.endBasis]}</td><td>${e.allocation.source}<br><small>${ingestText(e.allocation.ingest)}</small></td></tr>` : ''}
<tr><td><code>${e.lease.id}</code></td><td>lease ${e.lease.ip} (${e.lease.vrf}) → ${e.lease.subscriberId}</td><td>${when(e.lease.start, e.lease.startNotBefore)}</td><td>${e.lease.endNotBefore ? `between ${e.lease.endNotBefore} and ${e.lease.end ?? 'open'} (time not recorded)` : e.lease.end ?? 'open'}</td><td>${END_TEXT[e.lease.endBasis]}</td><td>${e.lease.source}<br><small>${ingestText(e.lease.ingest)}</small></td></tr>`)}</tbody></table>`,
    )}
</section>
<section aria-labelledby="r-h"><h2 id="r-h">Record</h2>
<p class="record">This look-up is in the access log as record <code>${record.chain}#${record.seq}</code>${record.id ? html` (<code>${record.id}</code>)` : ''}, hash <code class="hash">${record.hash}</code>.</p>
${reportLinks('whohad-report', reportHref)}
<p><a href="/lookup${queryString({ case: form.case })}">Another look-up in case ${form.case}</a> · <a href="/case${queryString({ case: form.case })}">Everything in case ${form.case}</a></p>
</section>`,
    '/lookup',
  );
}

export { reportLinks };
