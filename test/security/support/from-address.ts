import http from "node:http";

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
  text: string;
}

/**
 * One HTTP request sent from a chosen local address (any of 127.0.0.0/8 on Linux), so the gateway sees
 * it come from that client, as API Gateway reports `sourceIp`. Lets tests play several people at once.
 */
export function requestFrom(
  baseUrl: string,
  from: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const url = new URL(baseUrl);
  const payload =
    options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(typeof options.body === "string" ? options.body : JSON.stringify(options.body));
  const headers: Record<string, string> = {
    ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const request = http.request(
      // The path goes out as given, even malformed: hostile-input tests send what fetch would refuse to.
      { host: "127.0.0.1", port: url.port, path, method, headers, localAddress: from, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: any = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}
