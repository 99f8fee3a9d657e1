import { ROLES, type TokenInfo } from '../../../audit/tokens.js';
import type { Hold } from '../../../retention/holds.js';
import { html, type Html } from '../html.js';
import { page, type PageContext } from '../layout.js';
import type { SourceState } from '../ingest-state.js';

export interface OpsView {
  tokens: TokenInfo[];
  holds: Hold[];
  sources: SourceState[] | null;
  now: number;
  /** A token just created: its secret, shown this once. */
  created: { name: string; token: string } | null;
  message: string | null;
  error: string | null;
}

const ago = (now: number, ms: number) => {
  const m = Math.round((now - ms) / 60_000);
  return m < 1 ? 'under a minute ago' : m < 120 ? `${m} min ago` : `${Math.round(m / 60)} h ago`;
};

export function opsPage(ctx: PageContext, v: OpsView): Html {
  const csrf = html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
  return page(
    'Operations',
    ctx,
    html`${v.error ? html`<p class="notice" role="alert">${v.error}</p>` : ''}${v.message ? html`<p class="ok" role="status">${v.message}</p>` : ''}
${v.created ? html`<div class="secret" role="alert"><p>Token <strong>${v.created.name}</strong> created. Copy it now: it is shown only this once, and only its hash is kept.</p><p><code class="token-secret">${v.created.token}</code></p></div>` : ''}
<section aria-labelledby="src-h"><h2 id="src-h">Ingest by source</h2>
${v.sources === null ? html`<p class="empty">No per-source ingest state is recorded in Redis yet (the ingesting processes write it once per batch). <code>/metrics</code> has this process's own counts.</p>` : html`<table class="sources"><thead><tr><th scope="col">Source</th><th scope="col">Last event stored</th><th scope="col">Events</th><th scope="col">Rejected</th><th scope="col">Skipped</th><th scope="col">Dropped</th></tr></thead>
<tbody>${v.sources.map((s) => {
      const stale = s.lastEventMs === null || v.now - s.lastEventMs > 3600_000;
      return html`<tr class="${stale ? 'stale' : ''}"><td>${s.source}</td><td>${s.lastEventMs === null ? 'never' : html`${new Date(s.lastEventMs).toISOString()} (${ago(v.now, s.lastEventMs)})`}${stale ? html` <strong>— silent for over an hour</strong>` : ''}</td><td>${s.events}</td><td>${s.rejected}</td><td>${s.skipped}</td><td>${s.dropped}</td></tr>`;
    })}</tbody></table>`}
</section>
<section aria-labelledby="tok-h"><h2 id="tok-h">Tokens</h2>
<table class="tokens"><thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Roles</th><th scope="col">Created</th><th scope="col">Revoke</th></tr></thead>
<tbody>${v.tokens.map((t) => html`<tr><td>${t.name}</td><td><code>${t.tokenId}</code></td><td>${t.roles.join(', ')}</td><td>${t.created}</td><td><form method="post" action="/ops/tokens/revoke">${csrf}<input type="hidden" name="name" value="${t.name}"><button type="submit" aria-label="Revoke ${t.name}">Revoke</button></form></td></tr>`)}</tbody></table>
<form method="post" action="/ops/tokens" class="create-token">${csrf}
<div class="field"><label for="f-name">New token's name</label><input id="f-name" name="name" required pattern="[A-Za-z0-9][A-Za-z0-9._@\\-]{0,63}" autocomplete="off"></div>
<fieldset><legend>Roles</legend>${ROLES.map((r) => html`<label class="check"><input type="checkbox" name="roles" value="${r}"> ${r}</label>`)}</fieldset>
<button type="submit">Create token</button></form>
</section>
<section aria-labelledby="hold-h"><h2 id="hold-h">Legal holds</h2>
${v.holds.length === 0 ? html`<p class="empty">No legal holds.</p>` : html`<table class="holds"><thead><tr><th scope="col">Case</th><th scope="col">Scope</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Placed</th><th scope="col">State</th></tr></thead>
<tbody>${v.holds.map((h) => html`<tr><td>${h.case}</td><td>${[...h.scope.subscribers, ...h.scope.publicIps].join(', ')}</td><td>${h.scope.from}</td><td>${h.scope.to}</td><td>${h.created} by ${h.createdBy}</td><td>${h.lifted ? `lifted ${h.lifted.at} by ${h.lifted.by}` : html`<form method="post" action="/ops/holds/${h.id}/lift">${csrf}<label for="lift-${h.id}">Reason</label> <input id="lift-${h.id}" name="reason"> <button type="submit">Lift</button></form>`}</td></tr>`)}</tbody></table>`}
<form method="post" action="/ops/holds" class="place-hold">${csrf}
<div class="field"><label for="f-hcase">Case</label><input id="f-hcase" name="case" required autocomplete="off"></div>
<div class="field"><label for="f-subscribers">Subscribers (comma-separated)</label><input id="f-subscribers" name="subscribers" autocomplete="off"></div>
<div class="field"><label for="f-publicIps">Public addresses (comma-separated)</label><input id="f-publicIps" name="publicIps" autocomplete="off"></div>
<div class="field"><label for="f-from">From (ISO 8601 with Z)</label><input id="f-from" name="from" required autocomplete="off"></div>
<div class="field"><label for="f-to">To (ISO 8601 with Z)</label><input id="f-to" name="to" required autocomplete="off"></div>
<div class="field wide"><label for="f-reason">Reason</label><input id="f-reason" name="reason" autocomplete="off"></div>
<button type="submit">Place hold</button></form>
</section>`,
    '/ops',
  );
}
