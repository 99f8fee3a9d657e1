import { html, type Html } from '../html.js';
import { page, type PageContext } from '../layout.js';

export function refusedPage(ctx: PageContext, reason: string): Html {
  return page('Not for your role', ctx, html`<p class="notice" role="alert">${reason}.</p><p>The attempt is recorded in the access log. Ask an administrator if your work needs this page.</p>`);
}

export function errorPage(ctx: PageContext, title: string, message: string): Html {
  return page(title, ctx, html`<p class="notice" role="alert">${message}</p><p><a href="/">Back to the desk</a></p>`);
}
