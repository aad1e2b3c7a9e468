// A certified OpenID provider (the `oidc-provider` package) configured like a real deployment,
// for the OAuth tests (tests/oidc/conftest.py starts it on loopback, one per test session).
//
// What it offers: discovery, PKCE (S256) required for every authorization request, refresh-token
// rotation on every use, the device flow, revocation (RFC 7009), introspection (RFC 7662),
// RP-initiated logout (end_session_endpoint), RFC 9207 `iss` on every authorization response,
// dynamic client registration (each test registers the clients it needs: client_secret_basic,
// client_secret_post, private_key_jwt or none), and a plain login + consent interaction that the
// `$BROWSER` stand-in (browser.py) fills in. The consent form lets the user untick scopes.
//
// Multi-tenant issuers (the Microsoft shape): providers mounted at /tenant-a/v2.0 and
// /tenant-b/v2.0 put a `tid` claim in their id_tokens; /common/v2.0 and /spoofed/v2.0 serve a
// discovery document whose issuer is the template `http://127.0.0.1:PORT/{tenantid}/v2.0`, with
// the endpoints of tenant-a and tenant-b respectively. tenant-b's id_tokens claim `tid` "tenant-a":
// a client that validates the template must refuse them. The tenants accept only PS256 and ES256
// client assertions (the root provider RS256, PS256 and ES256).
//
// Issue 22 (sender-constrained tokens): DPoP is on with a nonce required on every proof; a client
// registered with `dpop_bound_access_tokens` must use it. The client credentials grant is on.
//
// Issue 22, item 4: oidc-provider has no JWT bearer (RFC 7523 §2.1) or token exchange (RFC 8693)
// grant built in; it offers `registerGrantType` for extension grants. The two handlers below are
// OURS (written for these tests, following oidc-provider's documented extension-grant API), not
// oidc-provider's: the JWT bearer grant checks the assertion's signature with the client's
// registered JWKS and its iss/sub/aud/exp/iat/jti claims; token exchange looks the subject (and
// actor) token up through oidc-provider's own AccessToken / ClientCredentials models.
//
// Issue 22 (mutual TLS, RFC 8705): a provider mounted at /mtls, configured as its documentation
// describes for a deployment behind a TLS-terminating proxy: features.mTLS with
// certificateBoundAccessTokens, tlsClientAuth and selfSignedTlsClientAuth; getCertificate reads the
// client certificate the proxy passes in the `x-ssl-client-cert` header (URL-encoded PEM, as nginx's
// $ssl_client_escaped_cert), certificateAuthorized its `x-ssl-client-verify: SUCCESS`. The proxy is
// the tests' own TLS terminator (tests/oidc/tls_terminator.py), which strips those headers from
// what clients send. Its access tokens are JWTs (one resource server), so `cnf` can be read; the
// discovery document names the terminator's endpoints in mtls_endpoint_aliases once a test has
// told the server where it listens (POST /__test/mtls-origin?origin=https://127.0.0.1:PORT).
//
// Issue 22 (discovery drives it): the provider mounted at /restricted offers only client_secret_post
// and private_key_jwt (its token_endpoint_auth_methods_supported says so), like a deployment that
// turned Basic and public clients off.
//
// Test-only routes under /__test/ (never part of a real deployment): the request log, the tokens
// a client holds, and server-side revocation of every grant of a client (an admin revoking access).
//
// Started as `node server.mjs`; prints one JSON line {"issuer": ..., "port": ...} on stdout once
// it listens, then serves until killed.

import crypto from 'node:crypto';
import http from 'node:http';
import querystring from 'node:querystring';

import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';

const PASSWORD = 'correct horse';
const TENANTS = { 'tenant-a': 'tenant-a', 'tenant-b': 'tenant-a' }; // mount -> the tid it claims
const TEMPLATE_MOUNTS = { common: 'tenant-a', spoofed: 'tenant-b' }; // /X/v2.0 -> tenant endpoints

const log = [];
let mtlsOrigin = null; // where the tests' TLS terminator listens (mtls_endpoint_aliases)
const store = new Map(); // `${model}:${id}` -> { model, id, payload, expiresAt }

class MemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    store.set(this.key(id), { model: this.model, id, payload, expiresAt });
  }

  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry) return undefined;
    if (entry.expiresAt && entry.expiresAt < Date.now()) return undefined;
    return entry.payload;
  }

  async findByUserCode(userCode) {
    for (const entry of store.values()) {
      if (entry.model === this.model && entry.payload.userCode === userCode) return entry.payload;
    }
    return undefined;
  }

  async findByUid(uid) {
    for (const entry of store.values()) {
      if (entry.model === this.model && entry.payload.uid === uid) return entry.payload;
    }
    return undefined;
  }

  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const [key, entry] of store) {
      if (entry.payload.grantId === grantId) store.delete(key);
    }
  }
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:';
const exchanged = new Map(); // issued token -> what the exchange was (act, audience), for the tests
const seenAssertions = new Set(); // jti values already used (RFC 7523 §3 item 7: no replay)

// An RFC 6749 §5.2 error whose error_description says what was wrong (oidc-provider's own
// InvalidGrant keeps the detail to itself).
function refuse(code, description) {
  return new errors.CustomOIDCProviderError(code, description);
}

function grantScope(client, requested) {
  const asked = requested ? [...new Set(String(requested).split(' ').filter(Boolean))] : [];
  const allowed = new Set(String(client.scope || '').split(' ').filter(Boolean));
  const refused = asked.filter((s) => allowed.size && !allowed.has(s));
  if (refused.length) throw new errors.InvalidScope('requested scope is not allowed', refused.join(' '));
  return asked.join(' ') || undefined;
}

async function jwtBearerGrant(ctx, next) {
  const { client, params } = ctx.oidc;
  const provider = ctx.oidc.provider;
  let claims;
  try {
    const keys = createJwks(client);
    ({ payload: claims } = await jose.jwtVerify(params.assertion, keys, {
      audience: [provider.issuer, ctx.oidc.urlFor('token')],
      maxTokenAge: '10 minutes',
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
    }));
  } catch (err) {
    throw refuse('invalid_grant', `assertion refused: ${err.message}`);
  }
  if (claims.iss !== client.clientId) throw refuse('invalid_grant', 'assertion refused: iss is not the client_id');
  if (seenAssertions.has(claims.jti)) throw refuse('invalid_grant', 'assertion refused: jti already used');
  seenAssertions.add(claims.jti);
  const token = new provider.AccessToken({
    accountId: claims.sub,
    client,
    gty: 'jwt_bearer',
    scope: grantScope(client, params.scope),
  });
  ctx.oidc.entity('AccessToken', token);
  const value = await token.save();
  ctx.body = { access_token: value, expires_in: token.expiration, token_type: 'Bearer', scope: token.scope };
  await next();
}

function createJwks(client) {
  const { jwks } = client.metadata();
  if (!jwks || !Array.isArray(jwks.keys) || !jwks.keys.length) throw new Error('the client registered no JWKS');
  return jose.createLocalJWKSet(jwks);
}

async function findToken(provider, value) {
  // A token this provider issued and still honours: a user's (AccessToken) or a client's own.
  return (await provider.AccessToken.find(value)) || (await provider.ClientCredentials.find(value));
}

async function tokenExchangeGrant(ctx, next) {
  const { client, params } = ctx.oidc;
  const provider = ctx.oidc.provider;
  if (params.subject_token_type !== `${TOKEN_TYPE}access_token` && params.subject_token_type !== `${TOKEN_TYPE}jwt`) {
    throw refuse('invalid_request', `subject_token_type ${params.subject_token_type} is not supported`);
  }
  const subject = await findToken(provider, params.subject_token);
  if (!subject || subject.isExpired) throw refuse('invalid_grant', 'subject_token is invalid or expired');
  let act;
  if (params.actor_token) {
    if (!params.actor_token_type) throw refuse('invalid_request', 'actor_token_type is required with actor_token');
    const actor = await findToken(provider, params.actor_token);
    if (!actor || actor.isExpired) throw refuse('invalid_grant', 'actor_token is invalid or expired');
    act = { sub: actor.accountId || actor.clientId };
  }
  const requested = params.requested_token_type || `${TOKEN_TYPE}access_token`;
  if (requested !== `${TOKEN_TYPE}access_token`) {
    throw refuse('invalid_request', `requested_token_type ${requested} is not supported`);
  }
  const token = new provider.AccessToken({
    accountId: subject.accountId || subject.clientId,
    client,
    gty: 'token_exchange',
    scope: grantScope(client, params.scope),
  });
  ctx.oidc.entity('AccessToken', token);
  const value = await token.save();
  exchanged.set(value, { act, exchanged_from: subject.clientId, audience: params.audience || null });
  ctx.body = {
    access_token: value,
    issued_token_type: `${TOKEN_TYPE}access_token`,
    token_type: 'Bearer',
    expires_in: token.expiration,
    scope: token.scope,
  };
  await next();
}

function registerExtensionGrants(provider) {
  provider.registerGrantType(JWT_BEARER, jwtBearerGrant, ['assertion', 'scope']);
  provider.registerGrantType(TOKEN_EXCHANGE, tokenExchangeGrant, [
    'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type',
    'requested_token_type', 'audience', 'resource', 'scope',
  ], ['audience', 'resource']);
}

function html(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>`
    + `<body><h1>${title}</h1>${body}</body></html>`;
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(querystring.parse(Buffer.concat(chunks).toString())));
    req.on('error', reject);
  });
}

const RESTRICTED = { prefix: '/restricted', authMethods: ['client_secret_post', 'private_key_jwt'] };

function configuration(tid, authMethods) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signing = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };
  return {
    adapter: MemoryAdapter,
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    jwks: { keys: [signing] },
    clients: [],
    clientAuthMethods: authMethods || ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
    scopes: ['openid', 'offline_access', 'profile', 'email', 'read', 'write'],
    claims: { openid: tid ? ['sub', 'tid'] : ['sub'], email: ['email'], profile: ['name'] },
    conformIdTokenClaims: false,
    extraClientMetadata: {
      // A deployment choice seen in the wild (Azure AD, Okta with "always issue"): refresh tokens
      // for such a client whether or not offline_access was granted.
      properties: ['refresh_without_offline_access'],
      validator(ctx, key, value) {
        if (value !== undefined && typeof value !== 'boolean') throw new Error('must be a boolean');
      },
    },
    async findAccount(ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, email: `${sub}@example.test`, name: sub, ...(tid ? { tid } : {}) };
        },
      };
    },
    async issueRefreshToken(ctx, client, code) {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      return code.scopes.has('offline_access') || client.refresh_without_offline_access === true;
    },
    rotateRefreshToken: true,
    pkce: { methods: ['S256'], required: () => true },
    ttl: {
      AccessToken: 300,
      IdToken: 300,
      AuthorizationCode: 60,
      DeviceCode: 120,
      RefreshToken: 86400,
      Grant: 86400,
      Session: 86400,
      Interaction: 600,
    },
    enabledJWA: {
      // The tenants accept fewer: a client must pick from token_endpoint_auth_signing_alg_values_supported.
      // Issue 22: the root also takes HS256 (client_secret_jwt assertions, keyed with the secret).
      clientAuthSigningAlgValues: tid ? ['PS256', 'ES256'] : ['RS256', 'PS256', 'ES256', 'HS256'],
    },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: true,
        async userCodeInputSource(ctx, form, out, err) {
          ctx.body = html('Enter the code', `${err ? '<p>The code is not valid.</p>' : ''}${form}`);
        },
        async userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
          ctx.body = html('Confirm the device', `<p>Code <code>${escape(userCode)}</code></p>${form}`);
        },
        async successSource(ctx) {
          ctx.body = html('Device signed in', '<p>You can return to your device.</p>');
        },
      },
      revocation: { enabled: true },
      introspection: { enabled: true },
      // Issue 22: DPoP (RFC 9449) for clients that send proofs, required per client with
      // `dpop_bound_access_tokens`; every proof needs the server's nonce (the strictest setting).
      dPoP: { enabled: true, nonceSecret: crypto.randomBytes(32), requireNonce: () => true },
      clientCredentials: { enabled: true },
      // Issue 22: request objects (JAR, RFC 9101) in the front channel too (PAR takes them anyway).
      requestObjects: { request: true, requestUri: false },
      registration: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = html('Sign out?', form);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = html('Signed out', '<p>You are signed out.</p>');
        },
      },
      resourceIndicators: { enabled: false },
    },
    interactions: {
      url(ctx, interaction) {
        return `${ctx.oidc.provider.issuer.replace(/\/$/, '')}/interaction/${interaction.uid}`;
      },
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = html('Error', `<p id="error">${escape(out.error)}: ${escape(out.error_description || '')}</p>`);
    },
  };
}

function mtlsConfiguration() {
  const config = configuration(null);
  config.clientAuthMethods = [...config.clientAuthMethods, 'tls_client_auth', 'self_signed_tls_client_auth'];
  const passed = (ctx) => {
    const header = ctx.get('x-ssl-client-cert');
    return header ? decodeURIComponent(header) : undefined;
  };
  config.features.mTLS = {
    enabled: true,
    certificateBoundAccessTokens: true,
    tlsClientAuth: true,
    selfSignedTlsClientAuth: true,
    getCertificate: passed,
    certificateAuthorized: (ctx) => ctx.get('x-ssl-client-verify') === 'SUCCESS',
    certificateSubjectMatches(ctx, property, expected) {
      if (property !== 'tls_client_auth_subject_dn') return false;
      const pem = passed(ctx);
      return Boolean(pem) && new crypto.X509Certificate(pem).subject === expected;
    },
  };
  config.features.resourceIndicators = {
    enabled: true,
    defaultResource: async () => 'urn:workbench:api',
    useGrantedResource: async () => true,
    getResourceServerInfo: async () => ({
      scope: 'read write',
      audience: 'urn:workbench:api',
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'RS256' } },
    }),
  };
  return config;
}

// The login and consent pages (what a deployment writes itself; devInteractions is for development).
async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  const base = `${provider.issuer.replace(/\/$/, '')}/interaction/${uid}`;
  if (req.method === 'GET') {
    let body;
    if (prompt.name === 'login') {
      const hint = params.login_hint ? escape(params.login_hint) : '';
      body = `<form id="login" method="post" action="${base}/login">`
        + `<input type="text" name="login" value="${hint}"/><input type="password" name="password" value=""/>`
        + '</form>';
    } else {
      const scopes = String(params.scope || '').split(' ').filter(Boolean);
      const boxes = scopes.map((s) => `<input type="checkbox" name="scope" value="${escape(s)}" checked/>`).join('');
      body = `<p>${escape(params.client_id)} asks for: ${escape(scopes.join(' '))}</p>`
        + `<form id="consent" method="post" action="${base}/confirm">${boxes}`
        + '<button type="submit" name="decision" value="approve">Allow</button>'
        + '<button type="submit" name="decision" value="deny">Deny</button></form>';
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html(prompt.name === 'login' ? 'Sign in' : 'Allow access?', body));
    return;
  }
  const form = await readForm(req);
  if (action === 'login') {
    if (!form.login || form.password !== PASSWORD) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html('Sign in', `<p id="error">Wrong user name or password.</p><form id="login" method="post" action="${base}/login"><input type="text" name="login" value=""/><input type="password" name="password" value=""/></form>`));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: form.login } }, { mergeWithLastSubmission: false });
    return;
  }
  if (form.decision !== 'approve') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user denied access' }, { mergeWithLastSubmission: false });
    return;
  }
  const ticked = new Set([].concat(form.scope || []));
  const requested = String(params.scope || '').split(' ').filter(Boolean);
  const granted = requested.filter((s) => ticked.has(s) || s === 'openid');
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  grant.addOIDCScope(granted.join(' '));
  const unticked = requested.filter((s) => !granted.includes(s));
  if (unticked.length) grant.rejectOIDCScope(unticked.join(' ')); // the user said no to these
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

function attachLog(provider, mount) {
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.oidc?.body && typeof ctx.oidc.body === 'object' ? { ...ctx.oidc.body } : {};
    const auth = ctx.get('authorization');
    let error;
    if (ctx.status >= 400 && ctx.body && typeof ctx.body === 'object') error = ctx.body.error;
    let location = ctx.response.get('location') || '';
    log.push({
      mount,
      method: ctx.method,
      path: ctx.path,
      query: { ...ctx.query },
      form: body,
      client_id: ctx.oidc?.client?.clientId || body.client_id || ctx.query.client_id || null,
      authorization: auth ? auth.split(' ')[0] : null,
      status: ctx.status,
      error: error || null,
      location,
    });
  });
  for (const event of ['grant.revoked']) {
    provider.on(event, (grantId) => log.push({ mount, event, grantId }));
  }
}

function tokensOf(clientId) {
  const out = [];
  for (const entry of store.values()) {
    const p = entry.payload;
    if (p.clientId !== clientId) continue;
    out.push({
      model: entry.model,
      jti: entry.id,
      grantId: p.grantId || null,
      scope: p.scope || null,
      consumed: Boolean(p.consumed),
      expired: Boolean(entry.expiresAt && entry.expiresAt < Date.now()),
    });
  }
  return out;
}

function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  const root = new Provider(origin, configuration(null));
  root.proxy = false;
  registerExtensionGrants(root);
  attachLog(root, '');
  const mounts = [];
  for (const [name, tid] of Object.entries(TENANTS)) {
    const prefix = `/${name}/v2.0`;
    const provider = new Provider(`${origin}${prefix}`, configuration(tid));
    attachLog(provider, prefix);
    mounts.push({ prefix, provider, callback: provider.callback() });
  }
  const mtls = new Provider(`${origin}/mtls`, mtlsConfiguration());
  attachLog(mtls, '/mtls');
  mounts.push({ prefix: '/mtls', provider: mtls, callback: mtls.callback() });
  const restricted = new Provider(`${origin}${RESTRICTED.prefix}`, configuration(null, RESTRICTED.authMethods));
  attachLog(restricted, RESTRICTED.prefix);
  mounts.push({ prefix: RESTRICTED.prefix, provider: restricted, callback: restricted.callback() });
  const rootCallback = root.callback();
  const byName = Object.fromEntries(mounts.map((m) => [m.prefix.split('/')[1], m]));

  server.on('request', async (req, res) => {
    try {
      const url = new URL(req.url, origin);
      if (url.pathname.startsWith('/__test/')) {
        const clientId = url.searchParams.get('client_id');
        if (url.pathname === '/__test/log') return json(res, 200, log);
        if (url.pathname === '/__test/tokens') return json(res, 200, tokensOf(clientId));
        if (url.pathname === "/__test/store") return json(res, 200, [...store.values()]);
        if (url.pathname === '/__test/access_token' && req.method === 'POST') {
          // What the provider knows of an access token it issued (the exchange tests check `act`).
          const form = await readForm(req);
          const found = await findToken(root, String(form.token || ''));
          return json(res, found ? 200 : 404, found ? {
            accountId: found.accountId || null, clientId: found.clientId, gty: found.gty || null,
            scope: found.scope || null, extra: exchanged.get(String(form.token)) || null,
          } : { error: 'not_found' });
        }
        if (url.pathname === '/__test/mtls-origin' && req.method === 'POST') {
          mtlsOrigin = url.searchParams.get('origin');
          return json(res, 200, { origin: mtlsOrigin });
        }
        if (url.pathname === '/__test/revoke' && req.method === 'POST') {
          // Every grant of the client is revoked server-side (an administrator, or the user in
          // their account settings): its refresh tokens answer invalid_grant from now on.
          const grants = new Set(tokensOf(clientId).map((t) => t.grantId).filter(Boolean));
          for (const [key, entry] of store) {
            if (grants.has(entry.payload.grantId) || (entry.model === 'Grant' && grants.has(entry.id))) store.delete(key);
          }
          return json(res, 200, { revoked: [...grants] });
        }
        return json(res, 404, { error: 'not_found' });
      }
      const template = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
      if (template && TEMPLATE_MOUNTS[template[1]]) {
        // The shape of a multi-tenant issuer: the endpoints of one tenant, the issuer a template.
        const target = byName[TEMPLATE_MOUNTS[template[1]]];
        const answer = await fetch(`${origin}${target.prefix}/.well-known/openid-configuration`);
        const doc = await answer.json();
        doc.issuer = `${origin}/{tenantid}/v2.0`;
        return json(res, 200, doc);
      }
      if (url.pathname === '/mtls/.well-known/openid-configuration' && mtlsOrigin && !req.headers['x-mtls-inner']) {
        // RFC 8705 §5: the endpoints a client with a certificate uses, at the TLS terminator.
        const answer = await fetch(`${origin}/mtls/.well-known/openid-configuration`, { headers: { 'x-mtls-inner': '1' } });
        const doc = await answer.json();
        doc.mtls_endpoint_aliases = {};
        for (const name of ['token_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
          if (doc[name]) doc.mtls_endpoint_aliases[name] = doc[name].replace(origin, mtlsOrigin);
        }
        return json(res, 200, doc);
      }
      let provider = root;
      let callback = rootCallback;
      let pathname = url.pathname;
      for (const m of mounts) {
        if (url.pathname === m.prefix || url.pathname.startsWith(`${m.prefix}/`)) {
          ({ provider, callback } = m);
          pathname = url.pathname.slice(m.prefix.length) || '/';
          req.originalUrl = req.url;
          req.url = pathname + url.search;
          break;
        }
      }
      const inter = /^\/interaction\/([^/]+)(?:\/(login|confirm))?$/.exec(pathname);
      if (inter) {
        await interaction(provider, req, res, inter[1], inter[2]);
        return;
      }
      callback(req, res);
    } catch (err) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/html' });
        res.end(html('Error', `<p id="error">${escape(err.message)}</p>`));
      }
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer: origin, port })}\n`);
});

process.on('SIGTERM', () => process.exit(0));
