/**
 * A minimal cookie-keeping HTTP client for API tests: remembers the session cookie
 * and the CSRF token the API hands out, and sends both like a browser page would.
 */
export class ApiClient {
  cookies = new Map<string, string>();
  csrf: string | undefined;
  lastSetCookie: string[] = [];

  constructor(readonly base: string) {}

  /** Sends a request; JSON bodies are serialised; cookies and CSRF header are attached. */
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.csrf && method !== 'GET' && !('x-csrf-token' in h)) h['x-csrf-token'] = this.csrf;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await fetch(this.base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const c of this.lastSetCookie) {
      const [pair = ''] = c.split(';');
      const [name = '', ...rest] = pair.split('=');
      const value = rest.join('=');
      if (/max-age=0/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** Calls and parses JSON, remembering a returned csrf_token. */
  async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; res: Response }> {
    const res = await this.call(method, path, body);
    const text = await res.text();
    const parsed = (text ? JSON.parse(text) : null) as T;
    const token = (parsed as { csrf_token?: string } | null)?.csrf_token;
    if (token) this.csrf = token;
    return { status: res.status, body: parsed, res };
  }
}
