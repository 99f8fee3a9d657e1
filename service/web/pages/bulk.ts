import type { JobState } from '../../../bulk/jobs.js';
import type { Corroboration } from '../../../bulk/summary.js';
import { corroborationSvg } from '../chart.js';
import { html, queryString, type Html } from '../html.js';
import { page, type PageContext } from '../layout.js';
import { reportLinks } from './lookup.js';

export interface BulkFormView {
  zones: string[];
  defaultTz: string;
  tolerance: number;
  legalBases: string[];
  caseRef: string;
}

export function bulkFormPage(ctx: PageContext, v: BulkFormView): Html {
  return page(
    'Bulk look-up',
    ctx,
    html`<p>Upload a server log as CSV with a header line naming its columns (<code>ip</code>, <code>port</code>, <code>timestamp</code>, optional <code>tz</code>; aliases are accepted). Every row is resolved and recorded exactly as a single look-up is.</p>
<noscript><p class="notice">The upload needs JavaScript (it sends the file as it is, without re-encoding it).</p></noscript>
<form class="bulk-upload" id="bulk-form" data-csrf="${ctx.csrf}">
<div class="field wide"><label for="f-file">CSV file</label><input id="f-file" name="file" type="file" accept=".csv,text/csv,text/plain" required></div>
<div class="field"><label for="f-tz">Zone of times without Z or an offset</label><select id="f-tz" name="tz">${v.zones.map((z) => html`<option${z === v.defaultTz ? html` selected` : ''}>${z}</option>`)}</select></div>
<div class="field"><label for="f-tolerance">Tolerance, seconds</label><input id="f-tolerance" name="tolerance" value="${v.tolerance}" inputmode="decimal"></div>
<div class="field"><label for="f-format">Result format</label><select id="f-format" name="format"><option value="csv">CSV</option><option value="ndjson">NDJSON (full answers)</option></select></div>
<div class="field"><label for="f-case">Case</label><input id="f-case" name="case" value="${v.caseRef}" required autocomplete="off"></div>
<div class="field"><label for="f-legalBasis">Legal basis</label><select id="f-legalBasis" name="legalBasis">${v.legalBases.map((b) => html`<option>${b}</option>`)}</select></div>
<div class="field wide"><label for="f-purpose">Purpose</label><input id="f-purpose" name="purpose" required autocomplete="off"></div>
<button type="submit">Upload and resolve</button>
<p class="upload-status" role="status" aria-live="polite"></p>
</form>`,
    '/bulk',
  );
}

export interface ResultPage {
  header: string[];
  rows: string[][];
  page: number;
  more: boolean;
}

export function bulkJobPage(ctx: PageContext, s: JobState, result: ResultPage | null, table: Corroboration[] | null): Html {
  const base = `/v1/attribution/bulk/${s.job}`;
  const running = s.state === 'running';
  // a job that ended shows its own pace; a running one is timed by the page's script
  const seconds = s.finishedAt ? Math.max(0.001, (Date.parse(s.finishedAt) - Date.parse(s.createdAt)) / 1000) : null;
  const rate = seconds === null ? '–' : (s.rows / seconds).toFixed(0);
  const progress = html`<section aria-labelledby="p-h"><h2 id="p-h">Progress</h2>
<div class="progress" data-job="${s.job}" data-state="${s.state}" data-created="${s.createdAt}">
<progress max="${s.total ?? 0}" value="${s.rows}" aria-label="rows answered">${s.rows}</progress>
<p role="status" aria-live="polite"><span class="rows">${s.rows}</span> of <span class="total">${s.total ?? '?'}</span> rows · <span class="rate">${rate}</span> rows/s · ETA <span class="eta">${running ? '–' : 'ended'}</span> · state <strong class="state">${s.state}</strong></p>
</div>${s.error ? html`<p class="notice" role="alert">${s.error}</p>` : ''}</section>`;
  if (running || s.state === 'failed' || !s.summary) return page(`Bulk job ${s.job}`, ctx, progress, '/bulk');
  const c = s.summary;
  const counts = html`<section aria-labelledby="s-h"><h2 id="s-h">Summary</h2>
<table class="counts"><thead><tr><th scope="col">rows</th><th scope="col">unique</th><th scope="col">ambiguous</th><th scope="col">not found</th><th scope="col">outside retention</th><th scope="col">errors</th><th scope="col">subscribers</th></tr></thead>
<tbody><tr><td>${c.rows}</td><td>${c.byStatus.unique}</td><td>${c.byStatus.ambiguous}</td><td>${c.byStatus.not_found}</td><td>${c.byStatus.outside_retention}</td><td>${c.byStatus.error}</td><td>${c.subscribers}</td></tr></tbody></table>
${c.complete ? '' : html`<p class="notice">The upload broke off before its end; the last row says why.</p>`}
<p class="downloads">Download the result: <a href="${base}/result" download="whohad-${s.job}.${s.format === 'csv' ? 'csv' : 'ndjson'}">${s.format === 'csv' ? 'CSV' : 'NDJSON'}</a> · <a href="${base}/summary" download="whohad-${s.job}-summary.json">summary (JSON)</a></p>
${reportLinks(`whohad-bulk-${s.job}`, `${base}/report`)}
</section>`;
  const corroboration = html`<section aria-labelledby="k-h"><h2 id="k-h">Corroboration</h2>
${corroborationSvg(table ?? [])}
<table class="corroboration-table"><thead><tr><th scope="col">Subscriber</th><th scope="col">Unique rows</th><th scope="col">Candidate rows</th><th scope="col">First</th><th scope="col">Last</th></tr></thead>
<tbody>${(table ?? []).slice(0, 100).map((r) => html`<tr><td>${r.subscriberId}</td><td>${r.uniqueRows}</td><td>${r.candidateRows}</td><td>${r.first}</td><td>${r.last}</td></tr>`)}</tbody></table></section>`;
  const rows = result
    ? html`<section aria-labelledby="r-h"><h2 id="r-h">Result, page ${result.page}</h2>
<div class="scroll"><table class="result"><thead><tr>${result.header.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${result.rows.map((r) => html`<tr>${r.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody></table></div>
<nav class="pager" aria-label="Result pages">${result.page > 1 ? html`<a href="/bulk/${s.job}${queryString({ page: result.page - 1 })}" rel="prev">Previous page</a>` : ''} ${result.more ? html`<a href="/bulk/${s.job}${queryString({ page: result.page + 1 })}" rel="next">Next page</a>` : ''}</nav></section>`
    : html`<p>The result of this job was sent in its upload's answer; only the summary is kept.</p>`;
  return page(`Bulk job ${s.job}`, ctx, html`${progress}${counts}${corroboration}${rows}`, '/bulk');
}
