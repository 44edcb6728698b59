// Console bootstrap: sign-in (token form or Keycloak), the shell (nav, who am I, status) and the hash router.

import { h, fill, announce, errorBox, field, notFound } from './dom.js';
import { session, loadConfig, ensureSignedIn, setToken, forgetCredentials, signOut, startLogin, isKeycloak } from './auth.js';
import { api, onUnauthorized } from './api.js';
import './pages/overview.js';
import './pages/tenants.js';
import './pages/tenant.js';
import './pages/models.js';
import './pages/deployments.js';
import './pages/jobs.js';
import './pages/job.js';
import './pages/usage.js';
import './pages/audit.js';
import './pages/playground.js';

const ROUTES = {
  overview: { tag: 'lm-overview', title: 'Overview' },
  tenants: { tag: 'lm-tenants', detail: 'lm-tenant', title: 'Tenants' },
  models: { tag: 'lm-models', title: 'Models' },
  deployments: { tag: 'lm-deployments', title: 'Deployments' },
  jobs: { tag: 'lm-jobs', detail: 'lm-job', title: 'Jobs' },
  usage: { tag: 'lm-usage', title: 'Usage' },
  audit: { tag: 'lm-audit', title: 'Audit log' },
  playground: { tag: 'lm-playground', title: 'Playground' },
};

const main = () => document.getElementById('page');
const nav = () => document.getElementById('main-nav');

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  let parts;
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    parts = [path];
  }
  return { section: parts[0] || 'overview', id: parts[1] || null, extra: parts.length > 2, query: new URLSearchParams(qs || '') };
}

function markNav(section) {
  for (const a of document.querySelectorAll('a[data-nav]')) {
    if (a.dataset.nav === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function route() {
  if (!session.me) return;
  const r = parseHash();
  const def = ROUTES[r.section];
  markNav(def ? r.section : null);
  if (!def || r.extra || (r.id && !def.detail)) {
    document.title = 'Not found · LMaaS console';
    fill(main(), h('h1', {}, 'Page not found'), notFound(`There is no page ${location.hash}.`));
    return;
  }
  const el = document.createElement(r.id ? def.detail : def.tag);
  el.params = { id: r.id, query: r.query };
  document.title = `${r.id ? `${r.id} · ` : ''}${def.title} · LMaaS console`;
  main().replaceChildren(el);
}

function setSignedOutShell() {
  session.me = null;
  nav().hidden = true;
  document.getElementById('whoami').textContent = '';
  document.getElementById('sign-out').hidden = true;
}

function enterApp(me) {
  session.me = me;
  nav().hidden = false;
  const who = me.username || me.actor || 'unknown';
  document.getElementById('whoami').textContent = `${who}${me.platform_admin ? ' (platform admin)' : ' (tenant admin)'}`;
  document.getElementById('sign-out').hidden = false;
  if (!/^#\//.test(location.hash)) history.replaceState(null, '', '#/overview');
  route();
  announce(`Signed in as ${who}.`);
}

/** Local mode: the admin token form. */
function showSignIn(message) {
  setSignedOutShell();
  const input = h('input', { id: 'admin-token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const slot = h('div', { class: 'form-error' });
  if (message) slot.append(errorBox({ message }));
  const form = h('form', { class: 'card signin', id: 'sign-in-form' },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste the platform admin token (LMAAS_ADMIN_TOKEN) to manage this gateway.'),
    field('Admin token', input), slot,
    h('button', { id: 'sign-in', type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    const button = form.querySelector('#sign-in');
    button.disabled = true;
    slot.replaceChildren();
    setToken(token);
    try {
      const me = await api('/me', { handle401: false });
      input.value = '';
      enterApp(me);
    } catch (err) {
      forgetCredentials();
      slot.replaceChildren(err.status === 401 ? errorBox({ message: 'That token is not valid.', code: err.code }) : errorBox(err));
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  fill(main(), form);
  document.title = 'Sign in · LMaaS console';
  input.focus();
}

/** A blocking problem before the app could start (config, Keycloak, /me). */
function showProblem(err, action) {
  setSignedOutShell();
  // With Keycloak the user may need another account (e.g. one without a console role): offer sign-out.
  if (isKeycloak()) document.getElementById('sign-out').hidden = false;
  fill(main(), h('div', { class: 'card signin' },
    h('h1', {}, 'Cannot open the console'), errorBox(err),
    h('button', { type: 'button', id: 'retry', onclick: action.fn }, action.label)));
}

async function boot() {
  const retry = { label: 'Try again', fn: () => boot() };
  try {
    await loadConfig();
  } catch (err) {
    showProblem(err, retry);
    return;
  }
  const again = { label: 'Sign in again', fn: () => startLogin().catch((e) => showProblem(e, retry)) };
  try {
    if (!(await ensureSignedIn())) {
      showSignIn();
      return;
    }
  } catch (err) {
    showProblem(err, again);
    return;
  }
  try {
    enterApp(await api('/me', { handle401: false }));
  } catch (err) {
    if (err.status === 401 && !isKeycloak()) {
      forgetCredentials();
      showSignIn('Your session has ended: sign in again.');
    } else {
      showProblem(err, err.status === 401 ? again : retry);
    }
  }
}

onUnauthorized(() => {
  if (!session.me) return;
  forgetCredentials();
  if (isKeycloak()) {
    setSignedOutShell();
    startLogin().catch((e) => showProblem(e, { label: 'Try again', fn: () => boot() }));
  } else {
    showSignIn('Your session has ended: sign in again.');
  }
});

window.addEventListener('hashchange', () => {
  document.getElementById('status').textContent = '';
  route();
  if (session.me) main().focus({ preventScroll: true });
});

document.getElementById('sign-out').addEventListener('click', () => {
  if (!signOut()) {
    showSignIn();
    announce('Signed out.');
  }
});

document.getElementById('skip-link').addEventListener('click', (ev) => {
  ev.preventDefault();
  main().focus();
});

boot();
