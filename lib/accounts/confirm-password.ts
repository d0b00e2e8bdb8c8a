import type { Queryable } from "../db/pool";
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from "../errors";
import { clearLoginAttempts, reserveLoginAttempt } from "./login-throttle";
import { verifyPassword } from "./passwords";

/** The password typed again, and the caller's address (a password check is throttled like a log-in). */
export interface PasswordConfirmation {
  password: string;
  /** From `clientAddress`, as log-ins key their throttle. */
  client: string;
}

/**
 * Checks the password a person typed again to confirm something that cannot be undone (deleting the
 * account, emptying the vault). It checks a password, so it is throttled as log-ins are: an attempt is
 * reserved per (account, client address) before the hash is compared. `refusal` is the sentence a
 * wrong password gets (it says what did not happen). Returns the account's e-mail address.
 */
export async function confirmPassword(db: Queryable, userId: string, confirmation: PasswordConfirmation, refusal: string): Promise<string> {
  const { rows } = await db.query<{ email: string; password_hash: string }>(
    "SELECT email, password_hash FROM personal.users WHERE id = $1 AND deleting_since IS NULL",
    [userId],
  );
  const user = rows[0];
  if (!user) throw new UnauthorizedError();
  const attempt = { email: user.email, client: confirmation.client };
  const reservation = await reserveLoginAttempt(db, attempt);
  if (!reservation.allowed) {
    const minutes = Math.ceil(reservation.retryAfterSeconds / 60);
    throw new TooManyRequestsError(`Too many wrong passwords. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`, reservation.retryAfterSeconds, "login_throttled");
  }
  if (!(await verifyPassword(confirmation.password, user.password_hash))) throw new ForbiddenError(refusal, "wrong_password");
  await clearLoginAttempts(db, attempt);
  return user.email;
}
