// The coordinator's JSON API (/api/v1/, docs/dashboard.md). Replies are the gRPC responses in
// protobuf's JSON mapping: proto field names, defaults printed, int64 values as strings.
// Authentication is the sg_token cookie that POST /api/v1/login sets (HttpOnly: this code never
// sees the token).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

// GET /api/v1/PATH with query parameters; an array value repeats the parameter (repeated proto
// fields). Throws ApiError with the server's code and message.
export async function get(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  }
  const qs = q.toString();
  return request(`/api/v1/${path}${qs ? `?${qs}` : ''}`, { method: 'GET' });
}

export async function post(path, body) {
  return request(`/api/v1/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
}

async function request(url, init) {
  const res = await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store' });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = null;
  }
  if (!res.ok) {
    throw new ApiError(res.status, body?.code, body?.message || text.slice(0, 200));
  }
  if (body === null) throw new ApiError(res.status, 'BAD_REPLY', `not JSON: ${text.slice(0, 80)}`);
  return body;
}
