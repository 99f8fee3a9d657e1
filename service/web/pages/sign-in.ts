import { html, type Html } from '../html.js';
import { page } from '../layout.js';

export function signInPage(csrf: string, message: string | null, next = ''): Html {
  return page(
    'Sign in',
    { principal: null, csrf },
    html`${message ? html`<p class="notice" role="alert">${message}</p>` : ''}
<form method="post" action="/sign-in" class="sign-in">
<input type="hidden" name="_csrf" value="${csrf}">
<input type="hidden" name="next" value="${next}">
<label for="f-token">API token</label>
<input id="f-token" name="token" type="password" autocomplete="off" required spellcheck="false" size="60" aria-describedby="token-help">
<p id="token-help" class="help">The token your administrator created for you (<code>whd_…</code>). It is checked once; the desk then keeps a session, and the token's roles decide what you may see.</p>
<button type="submit">Sign in</button>
</form>`,
  );
}
