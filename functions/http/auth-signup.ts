import { signUp } from "../../lib/accounts/accounts";
import { credentialsSchema } from "../../lib/api/contract";
import { getConfig } from "../../lib/config";
import { getPool } from "../../lib/db/pool";
import { clientAddress } from "../../lib/http/client-address";
import { httpHandler } from "../../lib/http/handler";
import { header, parseJsonBody, type HttpEvent } from "../../lib/http/request";
import { getStore } from "../../lib/store/client";
import { sessionResponse } from "./auth-response";

/** POST /api/personal/auth/signup {email, password} → 201 with a session; provisions the vault. */
export async function main(event: HttpEvent) {
  const body = parseJsonBody(event, credentialsSchema);
  const account = await signUp(
    { db: getPool(), store: getStore(), sessionTtlDays: getConfig().sessions.ttlDays },
    { ...body, userAgent: header(event, "user-agent"), client: clientAddress(event) },
  );
  return sessionResponse("POST /api/personal/auth/signup", 201, account);
}

export const handler = httpHandler(main);
