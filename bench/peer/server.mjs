// Peer server for Paket's benchmark harness: oidc-provider with one public
// client, one account and the in-memory adapter, listening on loopback.
//
// Usage: node server.mjs [PORT]
// PORT may also come from the PEER_PORT variable. 0 or no port picks a free one.
//
// After startup it mints one refresh token and one access token without the
// browser flow, checks both over HTTP, prints one JSON line on stdout and
// serves until SIGTERM or SIGINT. Startup failures go to stderr with exit 1.

import { createServer } from 'node:http';
import { once } from 'node:events';

import Provider from 'oidc-provider';
import { setStorage } from 'oidc-provider/lib/adapters/memory_adapter.js';

import PinnedStore from './pinned_store.mjs';

const HOST = '127.0.0.1';
const CLIENT_ID = 'paket-bench-public';
const REDIRECT_URI = 'http://127.0.0.1/callback';
const SCOPE = 'openid offline_access';
const ACCOUNT = {
  sub: 'bench-user-1',
  email: 'bench-user-1@example.com',
  email_verified: true,
};

// Lifetime of the access token minted for the harness, in seconds. The
// default AccessToken TTL (1 hour in oidc-provider 8.8) would let it expire
// during a long session, so only this token gets a longer one.
const MINTED_ACCESS_TOKEN_TTL_SECONDS = 24 * 60 * 60;

// Keep stdout for the single JSON line the harness parses. oidc-provider
// prints its one-time "default function called" notices with console.info,
// which writes to stdout, so route console.info and console.log to stderr.
console.info = console.error;
console.log = console.error;

// Invalid input from the command line or environment, printed without a stack.
class UsageError extends Error {}

function parsePort() {
  const raw = process.argv[2] ?? process.env.PEER_PORT ?? '0';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new UsageError(`invalid port ${JSON.stringify(raw)}: expected an integer from 0 to 65535 (0 picks a free port)`);
  }
  return port;
}

async function findAccount(ctx, sub) {
  if (sub !== ACCOUNT.sub) {
    return undefined;
  }
  return {
    accountId: ACCOUNT.sub,
    // oidc-provider filters these by the granted scopes and its `claims`
    // configuration, so with the default configuration and the scope above
    // userinfo returns only `sub`.
    async claims() {
      return { ...ACCOUNT };
    },
  };
}

function createProvider(issuer) {
  return new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        // Public client, as a single-page or native app would be.
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT_URI],
      },
    ],
    // Fixed account, because the benchmark needs no account store.
    findAccount,
    // Paket does not rotate refresh tokens by default, and the harness reuses
    // one refresh token for every request. oidc-provider's default rotates
    // them for public clients.
    rotateRefreshToken: () => false,
  });
}

// Log errors that oidc-provider catches and turns into error responses,
// because it prints nothing about them unless DEBUG is set. Only the first few of each kind are printed,
// then every 1000th, so a failing load run cannot flood stderr.
function logProviderErrors(provider) {
  const counts = new Map();
  const report = (eventName, err) => {
    const count = (counts.get(eventName) ?? 0) + 1;
    counts.set(eventName, count);
    if (count <= 5 || count % 1000 === 0) {
      const detail = err.error_description ?? err.message;
      console.error(`peer: ${eventName} #${count}: ${err.error ?? err.name}: ${detail}`);
    }
  };
  provider.on('server_error', (ctx, err) => report('server_error', err));
  provider.on('grant.error', (ctx, err) => report('grant.error', err));
  provider.on('userinfo.error', (ctx, err) => report('userinfo.error', err));
}

// Returns the key under which oidc-provider 8.8.1's memory adapter stores a
// saved model: `${model name}:${id}`, where the model name is the class name
// that `kind` also holds.
function adapterKey(model) {
  return `${model.kind}:${model.jti}`;
}

// Create the grant and tokens that the authorization code flow would leave
// behind, by saving oidc-provider's own models to its adapter, and pin them in
// the adapter's store so that load cannot evict them.
async function mintTokens(provider, store) {
  const client = await provider.Client.find(CLIENT_ID);
  if (!client) {
    throw new Error(`client ${CLIENT_ID} not found in the provider configuration`);
  }

  const grant = new provider.Grant({ accountId: ACCOUNT.sub, clientId: CLIENT_ID });
  grant.addOIDCScope(SCOPE);
  const grantId = await grant.save();
  store.pin(adapterKey(grant));

  // Fields a code exchange would set, so a refresh grant does the same work
  // (including the ID token it issues for the openid scope).
  const common = {
    accountId: ACCOUNT.sub,
    client,
    grantId,
    gty: 'authorization_code',
    scope: SCOPE,
  };
  const refreshTokenModel = new provider.RefreshToken({
    ...common,
    authTime: Math.floor(Date.now() / 1000),
    rotations: 0,
  });
  const refreshToken = await refreshTokenModel.save();
  store.pin(adapterKey(refreshTokenModel));

  const accessTokenModel = new provider.AccessToken({
    ...common,
    expiresIn: MINTED_ACCESS_TOKEN_TTL_SECONDS,
  });
  const accessToken = await accessTokenModel.save();
  store.pin(adapterKey(accessTokenModel));

  return { refreshToken, accessToken };
}

async function readJson(response, requestName) {
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`${requestName} returned HTTP ${response.status}, expected 200: ${text}`);
  }
  return JSON.parse(text);
}

// Send one request of each kind the harness sends, and fail unless both work.
async function selfCheck({ tokenEndpoint, userinfoEndpoint, refreshToken, accessToken }) {
  const tokenResponse = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: CLIENT_ID,
    }),
  });
  const tokens = await readJson(tokenResponse, 'refresh grant');
  if (!tokens.access_token) {
    throw new Error('refresh grant response has no access_token');
  }
  if (tokens.refresh_token !== undefined && tokens.refresh_token !== refreshToken) {
    throw new Error('refresh grant rotated the refresh token, expected the same token back');
  }

  const userinfoResponse = await fetch(userinfoEndpoint, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const claims = await readJson(userinfoResponse, 'userinfo');
  if (claims.sub !== ACCOUNT.sub) {
    throw new Error(`userinfo returned sub ${JSON.stringify(claims.sub)}, expected ${ACCOUNT.sub}`);
  }
}

async function main() {
  const port = parsePort();

  // Listen before creating the provider, because the issuer must contain the
  // port and port 0 is only resolved by listen().
  let handler = (req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('peer server is starting\n');
  };
  const server = createServer((req, res) => handler(req, res));
  server.listen(port, HOST);
  await once(server, 'listening');
  const actualPort = server.address().port;

  // Replace the default adapter's module-level store before any model is
  // saved. The adapter itself stays the default one.
  const store = new PinnedStore();
  setStorage(store);

  const issuer = `http://${HOST}:${actualPort}`;
  const provider = createProvider(issuer);
  logProviderErrors(provider);
  handler = provider.callback();

  const { refreshToken, accessToken } = await mintTokens(provider, store);
  const endpoints = {
    tokenEndpoint: new URL(provider.pathFor('token'), issuer).href,
    userinfoEndpoint: new URL(provider.pathFor('userinfo'), issuer).href,
  };
  await selfCheck({ ...endpoints, refreshToken, accessToken });

  const ready = {
    issuer,
    port: actualPort,
    client_id: CLIENT_ID,
    refresh_token: refreshToken,
    access_token: accessToken,
    token_endpoint: endpoints.tokenEndpoint,
    userinfo_endpoint: endpoints.userinfoEndpoint,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  console.error(`peer: serving ${issuer}`);

  const stop = (signal) => {
    console.error(`peer: ${signal} received, closing the server`);
    server.close(() => process.exit(0));
    // Keep-alive connections from a load generator can hold close() open.
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  const detail = err instanceof UsageError ? err.message : (err.stack ?? err);
  console.error(`peer: startup failed: ${detail}`);
  process.exit(1);
});
