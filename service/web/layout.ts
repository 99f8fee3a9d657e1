import type { Principal, Role } from '../../audit/tokens.js';
import { html, type Html } from './html.js';

/** What every page needs to draw its frame: who is signed in, and the form token for sign-out. */
export interface PageContext {
  principal: Principal | null;
  csrf: string;
}

const NAV: Array<{ href: string; label: string; role: Role }> = [
  { href: '/lookup', label: 'Look-up', role: 'investigator' },
  { href: '/bulk', label: 'Bulk', role: 'investigator' },
  { href: '/case', label: 'Case', role: 'investigator' },
  { href: '/audit', label: 'Audit', role: 'auditor' },
  { href: '/audit/subject', label: 'Data subject', role: 'auditor' },
  { href: '/ops', label: 'Operations', role: 'admin' },
];

/** The first page a principal may open, by role; null when the desk has none for them. */
export function homeOf(p: Principal): string | null {
  return NAV.find((n) => p.roles.includes(n.role))?.href ?? null;
}

/**
 * The frame of every page: the navigation shows only the pages the principal's roles may open
 * (the routes refuse the others anyway), and nothing is loaded from outside the service.
 */
export function page(title: string, ctx: PageContext, body: Html, current = ''): Html {
  const p = ctx.principal;
  const nav = p
    ? html`<nav aria-label="Desk"><ul>${NAV.filter((n) => p.roles.includes(n.role)).map(
        (n) => html`<li><a href="${n.href}"${n.href === current ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
      )}</ul>
<form method="post" action="/sign-out" class="sign-out"><input type="hidden" name="_csrf" value="${ctx.csrf}"><span class="who">${p.name} (${p.roles.join(', ')})</span> <button type="submit">Sign out</button></form></nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · whohad</title>
<link rel="stylesheet" href="/assets/desk.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<script type="module" src="/assets/desk.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><span class="brand">whohad</span> <span class="tagline">investigator's desk</span>${nav}</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
<footer>Every look-up made here is recorded in the access log with your name, the case, the legal basis and the purpose.</footer>
</body>
</html>`;
}

/** A list of problems, each naming the field it is about, linked to that field. */
export function problems(errors: Array<{ field?: string; message: string }>): Html {
  if (errors.length === 0) return html``;
  return html`<div class="problems" role="alert"><h2>Please correct</h2><ul>${errors.map((e) =>
    e.field ? html`<li><a href="#f-${e.field}">${e.field}</a>: ${e.message}</li>` : html`<li>${e.message}</li>`,
  )}</ul></div>`;
}
