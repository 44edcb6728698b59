// Admin API client: adds the bearer token, sends/parses JSON, turns failures into ApiError(status, code, message).

import { accessToken } from './auth.js';

export class ApiError extends Error {
  constructor(message, status, code, param) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

let unauthorizedHandler = () => {};

/** Registers what to do on a 401 (the app sends the user back to sign-in). */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

/** Builds "/admin/v1" + path + a query string without empty values. */
export function url(path, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v != null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return `/admin/v1${path}${s ? (path.includes('?') ? '&' : '?') + s : ''}`;
}

/**
 * api('/tenants', {query: {limit: 50}}) → parsed JSON.
 * Options: method, body (JSON), query, blob (return a Blob), handle401 (default true).
 */
export async function api(path, { method = 'GET', body, query, blob = false, handle401 = true } = {}) {
  const headers = { Accept: blob ? '*/*' : 'application/json' };
  const token = await accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url(path, query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError('The gateway is unreachable.', 0, 'network_error');
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401 && handle401) unauthorizedHandler(err);
    throw err;
  }
  if (blob) return res.blob();
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('The gateway sent an answer the console cannot read.', res.status, 'invalid_response');
  }
}

/** A multipart upload (FormData) to the admin API; parsed JSON back, errors as api() throws them. */
export async function upload(path, form) {
  const headers = { Accept: 'application/json' };
  const token = await accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(url(path), { method: 'POST', headers, body: form });
  } catch {
    throw new ApiError('The gateway is unreachable.', 0, 'network_error');
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401) unauthorizedHandler(err);
    throw err;
  }
  return res.json();
}

async function errorFrom(res) {
  let e = {};
  try {
    const body = await res.json();
    e = (body && body.error) || {};
  } catch {
    // not JSON: fall back to the HTTP status
  }
  const message = e.message || res.statusText || `The request failed (HTTP ${res.status}).`;
  return new ApiError(message, res.status, e.code || e.type || null, e.param || null);
}

/** Fetches every page of a list endpoint (up to max items). */
export async function listAll(path, query = {}, max = 1000) {
  const out = [];
  let after;
  for (;;) {
    const page = await api(path, { query: { ...query, after, limit: Math.min(100, max) } });
    out.push(...(page.data || []));
    if (!page.has_more || !page.last_id || out.length >= max) return out;
    after = page.last_id;
  }
}

