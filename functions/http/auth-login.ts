import { logIn } from "../../lib/accounts/accounts";
import { credentialsSchema } from "../../lib/api/contract";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { clientAddress } from "../../lib/http/client-address";
import { httpHandler } from "../../lib/http/handler";
import { header, parseJsonBody, type HttpEvent } from "../../lib/http/request";
import { getStore } from "../../lib/store/client";
import { sessionResponse } from "./auth-response";

/** POST /api/personal/auth/login {email, password} → 200 with a session, 401 on bad credentials, 429 when throttled. */
export async function main(event: HttpEvent) {
  const body = parseJsonBody(event, credentialsSchema);
  const account = await logIn(
    { db: getPool(), store: getStore(), sessionTtlDays: getConfig().sessions.ttlDays },
    { ...body, userAgent: header(event, "user-agent"), client: clientAddress(event) },
  );
  return sessionResponse("POST /api/personal/auth/login", 200, account);
}

export const handler = httpHandler(main);
