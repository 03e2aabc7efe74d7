// Test-only OpenID Connect provider for Kafscope's Playwright and Rust tests.
//
// A real, certified OpenID provider (panva's `oidc-provider`, a devDependency of this
// package) with fixed test accounts, one confidential client and no consent page. It keeps
// everything in memory, listens on loopback only and fetches nothing at run time.
// NEVER use it outside tests: the client secret, cookie keys and passwords are public.
//
// Start (from /work/main/playwright, after `npm ci`):
//   node oidc/provider.mjs <port>
// It prints `ready http://127.0.0.1:<port>` on stdout once listening (the issuer) and stops
// on SIGTERM/SIGINT. Environment (comma separated lists):
//   OIDC_REDIRECT_URIS     default http://127.0.0.1:18931/auth/oidc/callback
//   OIDC_POST_LOGOUT_URIS  default http://127.0.0.1:18931/
//
// Client:   kafscope-e2e / e2e-client-secret (client_secret_basic), authorization_code +
//           refresh_token, PKCE S256 required.
// Accounts: alice, olivia, vic, rita; the password is `<login>-pw` (alice / alice-pw).
// Login page: inputs labelled "Username" (name=login) and "Password" (name=password), button
//           "Sign in". A correct login goes straight back to the redirect URI (no consent page).
// Logout:   /session/end?id_token_hint=...&post_logout_redirect_uri=... signs out and returns
//           to the post_logout_redirect_uri without a click (the form submits itself).
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('usage: node oidc/provider.mjs <port>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const CLIENT_ID = 'kafscope-e2e';
const list = (value, fallback) => (value ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
const redirectUris = list(process.env.OIDC_REDIRECT_URIS, 'http://127.0.0.1:18931/auth/oidc/callback');
const postLogoutUris = list(process.env.OIDC_POST_LOGOUT_URIS, 'http://127.0.0.1:18931/');

// Login id = account id = `sub` = `preferred_username`. Only alice has an email address.
const ACCOUNTS = {
  alice: { name: 'Alice Admin', email: 'alice@example.test', groups: ['kafka-admins'] },
  olivia: { name: 'Olivia Operator', groups: ['payments-team'] },
  vic: { name: 'Victor Viewer', groups: ['kafka-viewers'] },
  rita: { name: 'Rita Reader', groups: ['kafka-readers'] },
};
const hasAccount = (id) => typeof id === 'string' && Object.hasOwn(ACCOUNTS, id);

async function findAccount(_ctx, sub) {
  if (!hasAccount(sub)) return undefined;
  const { name, email, groups } = ACCOUNTS[sub];
  return {
    accountId: sub,
    // The provider keeps only the claims of the granted scopes.
    async claims() {
      return {
        sub, name, preferred_username: sub, ...(email ? { email } : {}), groups: [...groups],
      };
    },
  };
}

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body, head = '') => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.4rem}
button{padding:.5rem}.error{color:#a00;font-weight:bold}</style>
${head}
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;

// A fresh signing key for every run: nothing secret lives in the repository.
const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: 'kafscope-e2e-rs256',
  alg: 'RS256',
  use: 'sig',
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: 'e2e-client-secret',
    client_name: 'Kafscope (e2e)',
    application_type: 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutUris,
  }],
  responseTypes: ['code'],
  jwks: { keys: [signingKey] },
  // Cookies ignore ports, so the browser sends these to Kafscope on 127.0.0.1 too: give them
  // names of their own (the defaults are _session, _interaction, _interaction_resume).
  cookies: {
    names: { session: 'e2e_op_session', interaction: 'e2e_op_interaction', resume: 'e2e_op_resume' },
    keys: ['kafscope-e2e-cookie-key-1', 'kafscope-e2e-cookie-key-2'],
  },
  findAccount,
  scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  // Put the claims of the granted scopes in the ID token too, not only in userinfo.
  conformIdTokenClaims: false,
  // oidc-provider requires PKCE only for public clients by default; require it always.
  // S256 is the only code_challenge_method oidc-provider 9 supports.
  pkce: { required: () => true },
  // A refresh token with every code exchange for this client, offline_access or not. Without
  // offline_access it is bound to the provider session (logout revokes it); with
  // offline_access it survives logout. Every refresh rotates it (the old one is consumed).
  issueRefreshToken: async (_ctx, client) => client.clientId === CLIENT_ID
    && client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 10 * 60,
    AuthorizationCode: 60,
    IdToken: 10 * 60,
    RefreshToken: 24 * 60 * 60,
    Interaction: 60 * 60,
    Session: 24 * 60 * 60,
    Grant: 24 * 60 * 60,
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // Sign out of the provider session without asking: the confirmation form (which carries
      // the xsrf token) submits itself with logout=yes.
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = page('Signing out', `<h1>Signing out</h1>
${form.replace('</form>', '<input type="hidden" name="logout" value="yes"/><noscript><button type="submit">Sign out</button></noscript></form>')}`,
        '<script>document.addEventListener("DOMContentLoaded",function(){document.forms[0].submit()})</script>');
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Signed out', '<h1>Signed out</h1><p>You have been signed out.</p>');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>Error</h1>${Object.entries(out)
      .map(([k, v]) => `<p><strong>${esc(k)}</strong>: ${esc(v)}</p>`).join('')}`);
  },
});

function loginPage(uid, { login = '', error } = {}) {
  return page('Sign in', `<h1>Sign in to the Kafscope test provider</h1>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label for="login">Username</label>
<input id="login" name="login" type="text" value="${esc(login)}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<p><a href="/interaction/${esc(uid)}/abort">Cancel</a></p>`);
}

function send(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(html);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Grant whatever the consent prompt says is missing, for our own client only.
async function autoConsent(req, res, details) {
  const { prompt: { details: missing }, params, session, grantId } = details;
  if (params.client_id !== CLIENT_ID) {
    send(res, 403, page('Error', '<h1>Error</h1><p>consent for unknown client</p>'));
    return;
  }
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const result = { consent: { grantId: await grant.save() } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

async function interaction(req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    send(res, 400, page('Error', '<h1>Error</h1><p>This sign-in attempt has expired; start again from Kafscope.</p>'));
    return;
  }
  if (details.uid !== uid) {
    send(res, 400, page('Error', '<h1>Error</h1><p>Interaction mismatch.</p>'));
    return;
  }
  const prompt = details.prompt.name;

  if (req.method === 'GET' && action === undefined) {
    if (prompt === 'login') {
      send(res, 200, loginPage(uid, { login: details.params.login_hint ?? '' }));
    } else if (prompt === 'consent') {
      await autoConsent(req, res, details);
    } else {
      send(res, 501, page('Error', `<h1>Error</h1><p>unsupported prompt ${esc(prompt)}</p>`));
    }
    return;
  }

  if (req.method === 'POST' && action === 'login' && prompt === 'login') {
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    const password = form.get('password') ?? '';
    if (!hasAccount(login) || password !== `${login}-pw`) {
      send(res, 401, loginPage(uid, { login, error: 'Invalid username or password.' }));
      return;
    }
    await provider.interactionFinished(req, res, {
      login: { accountId: login, amr: ['pwd'] },
    }, { mergeWithLastSubmission: false });
    return;
  }

  if (req.method === 'GET' && action === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }

  send(res, 404, page('Not found', '<h1>Not found</h1>'));
}

const oidc = provider.callback();
const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname.startsWith('/interaction/')) {
    interaction(req, res, url).catch((err) => {
      console.error('interaction error:', err);
      if (!res.headersSent) send(res, 500, page('Error', '<h1>Error</h1><p>internal error</p>'));
      else res.end();
    });
    return;
  }
  oidc(req, res);
});

provider.on('server_error', (_ctx, err) => console.error('oidc server_error:', err));

server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
