import type { Queryable } from "../db/pool";
import { TooManyRequestsError } from "../errors";
import { countInWindow, peekWindow } from "../limits/window-counter";

/**
 * Sign-up answers 409 for an address that has an account, which lets anyone test whether an address
 * is registered. OWASP's Authentication Cheat Sheet asks that such answers not reveal it, or be rate
 * limited; a sign-up has to say "taken" somehow, so this limits it: per client address, at most
 * `takenPerClient` "taken" answers per window, after which every sign-up from that client is refused
 * (429), taken or not, so the refusal itself tells nothing. Also at most `perClient` accounts per
 * window from one client.
 */
export const SIGNUP_LIMITS = { takenPerClient: 5, perClient: 50, windowSeconds: 3600 } as const;

const buckets = (client: string) => ({ all: `signup:${client}`, taken: `signup-taken:${client}` });

/** A cheap early refusal (no lock), before the password is hashed: the client is over a limit. */
export async function assertSignUpAllowed(db: Queryable, client: string): Promise<void> {
  const { all, taken } = buckets(client);
  const [signUps, takens] = await Promise.all([peekWindow(db, all, SIGNUP_LIMITS.windowSeconds), peekWindow(db, taken, SIGNUP_LIMITS.windowSeconds)]);
  if (signUps.hits >= SIGNUP_LIMITS.perClient) throw throttled(signUps.retryAfterSeconds);
  if (takens.hits >= SIGNUP_LIMITS.takenPerClient) throw throttled(takens.retryAfterSeconds);
}

/**
 * Counts this sign-up, inside its transaction and once it is known whether the address was taken, and
 * refuses it (429) if the client is over a limit. Counting under the rows' locks means a burst of
 * probes gets at most `takenPerClient` "taken" answers, and a new address is refused exactly when a
 * taken one would be.
 */
export async function countSignUp(tx: Queryable, client: string, addressTaken: boolean): Promise<void> {
  const { all, taken } = buckets(client);
  const takens = await countInWindow(tx, taken, { windowSeconds: SIGNUP_LIMITS.windowSeconds, add: addressTaken ? 1 : 0 });
  if (addressTaken ? takens.hits > SIGNUP_LIMITS.takenPerClient : takens.hits >= SIGNUP_LIMITS.takenPerClient) {
    throw throttled(takens.retryAfterSeconds);
  }
  if (addressTaken) return;
  const signUps = await countInWindow(tx, all, { windowSeconds: SIGNUP_LIMITS.windowSeconds, add: 1 });
  if (signUps.hits > SIGNUP_LIMITS.perClient) throw throttled(signUps.retryAfterSeconds);
}

function throttled(retryAfterSeconds: number): TooManyRequestsError {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return new TooManyRequestsError(
    `Too many sign-ups from your network. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}, or log in if you already have an account.`,
    retryAfterSeconds,
    "signup_throttled",
  );
}
