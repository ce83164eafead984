// The HTTP API (docs: notes/serve_api.md, served at /api/v1/openapi.json).
//
//   const { cameras } = await api.get('/api/v1/cameras');
//   try { await api.post('/api/v1/cameras', body) } catch (e) { e.issues ... }
//
// Errors come back as ApiError with the server's code, message, field and issues
// (validation problems with their path in the body: "url", "zones[0].points").
// A 401 also fires `tilescope:unauthorized` on window so the app shows the login page.

const kTokenKey = 'tilescope.token';

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || 'internal';
    this.field = error?.field || '';
    this.issues = Array.isArray(error?.issues) ? error.issues : [];
  }
}

export function token() {
  return sessionStorage.getItem(kTokenKey) || '';
}

export function set_token(value) {
  if (value)
    sessionStorage.setItem(kTokenKey, value);
  else
    sessionStorage.removeItem(kTokenKey);
}

// For <img src>, MJPEG and the WebSocket, which cannot send headers: the login cookie
// normally does it; a token from the login response is added as ?token= as well.
export function with_token(url) {
  const t = token();
  if (!t) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(t)}`;
}

async function request(method, path, body, {signal} = {}) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, {method, headers, body: payload, signal, credentials: 'same-origin'});
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, {code: 'network', message: 'Cannot reach the tilescope server'});
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error =
        new ApiError(response.status, data?.error || {message: text.slice(0, 200) || response.statusText});
    if (response.status === 401) window.dispatchEvent(new CustomEvent('tilescope:unauthorized'));
    throw error;
  }
  return data;
}

export const api = {
  get: (path, options) => request('GET', path, undefined, options),
  post: (path, body, options) => request('POST', path, body, options),
  put: (path, body, options) => request('PUT', path, body, options),
  del: (path, options) => request('DELETE', path, undefined, options),
};

// Query string from an object, skipping empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
