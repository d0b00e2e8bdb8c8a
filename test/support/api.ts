/** A small client for the public API, as a browser or the CLI would use it. */
export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export function apiClient(baseUrl: string) {
  async function call<T = any>(method: string, path: string, options: { body?: unknown; token?: string; cookie?: string; headers?: Record<string, string> } = {}): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.cookie) headers.cookie = options.cookie;
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body, headers: response.headers };
  }

  return {
    call,
    signUp: (email: string, password = "a long enough passphrase") => call("POST", "/api/personal/auth/signup", { body: { email, password } }),
    logIn: (email: string, password = "a long enough passphrase") => call("POST", "/api/personal/auth/login", { body: { email, password } }),
    me: (token: string) => call("GET", "/api/personal/me", { token }),
  };
}

let counter = 0;
/** A unique e-mail address per call, so tests never collide on one database. */
export function uniqueEmail(label = "user"): string {
  counter += 1;
  return `${label}.${process.pid}.${Date.now()}.${counter}@example.com`;
}
