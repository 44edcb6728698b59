// Authentication: reads /console/config.json, then either a pasted admin token (local mode) or
// OAuth 2.0 authorization code + PKCE against Keycloak, done by hand (fetch + crypto.subtle).

const TOKEN = 'lmaas.admin_token';
const KC_TOKENS = 'lmaas.kc.tokens';
const KC_VERIFIER = 'lmaas.kc.verifier';
const KC_STATE = 'lmaas.kc.state';
const KC_RETURN = 'lmaas.kc.return_hash';

/** Shared session state: the config and the signed-in user (GET /admin/v1/me). */
export const session = { config: { auth: 'token' }, me: null };

export class AuthError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export async function loadConfig() {
  let res;
  try {
    res = await fetch('/console/config.json', { cache: 'no-store' });
  } catch {
    throw new AuthError('The gateway is unreachable.', 'network_error');
  }
  // Without a config the gateway runs in local mode: ask for the admin token.
  session.config = res.ok ? await res.json().catch(() => ({ auth: 'token' })) : { auth: 'token' };
  return session.config;
}

const isKeycloak = () => session.config.auth === 'keycloak';
const redirectUri = () => `${location.origin}/console/`;
const endpoint = (name) => `${session.config.issuer.replace(/\/$/, '')}/protocol/openid-connect/${name}`;

// ---- token mode ----

export function storedToken() {
  return sessionStorage.getItem(TOKEN);
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN, token);
}

// ---- keycloak mode ----

function b64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

function kcTokens() {
  try {
    return JSON.parse(sessionStorage.getItem(KC_TOKENS) || 'null');
  } catch {
    return null;
  }
}

function saveTokens(t) {
  const old = kcTokens() || {};
  sessionStorage.setItem(KC_TOKENS, JSON.stringify({
    access_token: t.access_token,
    refresh_token: t.refresh_token || old.refresh_token,
    id_token: t.id_token || old.id_token,
    expires_at: Date.now() + (Number(t.expires_in) || 60) * 1000,
  }));
}

/** Sends the browser to Keycloak's login page; never resolves (the page goes away). */
let loginStarted = null;

/** Sends the browser to Keycloak's login (once, however many calls find the session gone). */
export function startLogin() {
  if (!loginStarted) loginStarted = beginLogin();
  return loginStarted;
}

async function beginLogin() {
  if (!crypto.subtle) {
    throw new AuthError('Signing in needs a secure context: open the console over HTTPS or on localhost.', 'insecure_context');
  }
  const verifier = randomString();
  const state = randomString();
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(KC_VERIFIER, verifier);
  sessionStorage.setItem(KC_STATE, state);
  sessionStorage.setItem(KC_RETURN, location.hash || '#/overview');
  sessionStorage.removeItem(KC_TOKENS);
  const q = new URLSearchParams({
    client_id: session.config.client_id,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${endpoint('auth')}?${q}`);
  return new Promise(() => {});
}

async function tokenRequest(params) {
  let res;
  try {
    res = await fetch(endpoint('token'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: session.config.client_id, ...params }),
    });
  } catch {
    throw new AuthError('The identity provider is unreachable.', 'network_error');
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    throw new AuthError(body.error_description || `Sign-in failed (${res.status}).`, body.error || `HTTP ${res.status}`);
  }
  return body;
}

/** Handles ?code=..&state=.. (or ?error=..) on return from Keycloak. Returns true when it did. */
async function handleCallback() {
  const q = new URLSearchParams(location.search);
  if (!q.has('code') && !q.has('error')) return false;
  const back = sessionStorage.getItem(KC_RETURN) || '#/overview';
  const expected = sessionStorage.getItem(KC_STATE);
  const verifier = sessionStorage.getItem(KC_VERIFIER);
  sessionStorage.removeItem(KC_STATE);
  sessionStorage.removeItem(KC_VERIFIER);
  sessionStorage.removeItem(KC_RETURN);
  history.replaceState(null, '', `/console/${back}`);
  const ours = Boolean(expected) && q.get('state') === expected;
  if (q.has('error')) {
    // Keycloak's own words only for an answer to our request; a crafted link gets a fixed message.
    throw new AuthError(ours ? (q.get('error_description') || 'Sign-in was refused.') : 'Sign-in was refused.', 'login_refused');
  }
  if (!ours || !verifier) {
    throw new AuthError('The sign-in answer does not match this browser session. Sign in again.', 'invalid_state');
  }
  saveTokens(await tokenRequest({
    grant_type: 'authorization_code',
    code: q.get('code'),
    redirect_uri: redirectUri(),
    code_verifier: verifier,
  }));
  return true;
}

let refreshing = null;

async function refresh(t) {
  if (!refreshing) {
    refreshing = tokenRequest({ grant_type: 'refresh_token', refresh_token: t.refresh_token })
      .then(saveTokens)
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

/**
 * Makes sure there is a usable credential. Keycloak: handles the login callback, refreshes or
 * starts the login. Token mode: returns false when the sign-in form is needed.
 */
export async function ensureSignedIn() {
  if (!isKeycloak()) return Boolean(storedToken());
  await handleCallback();
  await accessToken();
  return true;
}

/** The bearer token for the next API call (refreshing it when under 30 s remain). */
export async function accessToken() {
  if (!isKeycloak()) return storedToken();
  const t = kcTokens();
  if (!t || !t.access_token) return startLogin();
  if (t.expires_at - Date.now() < 30_000) {
    if (!t.refresh_token) return startLogin();
    try {
      await refresh(t);
    } catch {
      return startLogin();
    }
    return kcTokens().access_token;
  }
  return t.access_token;
}

/** Called on a 401 from the API: local mode forgets the token, Keycloak mode logs in again. */
export function forgetCredentials() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(KC_TOKENS);
}

export function signOut() {
  const t = kcTokens();
  sessionStorage.clear();
  session.me = null;
  if (!isKeycloak()) return false;
  const q = new URLSearchParams({ client_id: session.config.client_id, post_logout_redirect_uri: redirectUri() });
  if (t && t.id_token) q.set('id_token_hint', t.id_token);
  location.assign(`${endpoint('logout')}?${q}`);
  return true;
}

export { isKeycloak };
