import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import PQueue from "p-queue";
import { TooManyRequestsError } from "../errors";

/**
 * Password hashing with scrypt (memory-hard). Stored as `scrypt$N$r$p$salt$hash` (base64) so the cost
 * can be raised later without breaking existing hashes. N=2^15, r=8 uses 32 MiB and ~60 ms per hash.
 */
const DEFAULT_COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

/**
 * scrypt runs on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise), which file
 * system, DNS and zlib work share. So at most two hashes run at once, and a caller who would wait more
 * than `MAX_WAIT_MS` behind the ones queued (judged from how long hashes have been taking here) is told
 * at once to come back, instead of a burst of log-ins queueing everything until requests time out.
 */
const HASHES_AT_ONCE = 2;
const MAX_WAIT_MS = 5_000;
const hashing = new PQueue({ concurrency: HASHES_AT_ONCE });
/** Moving average of one hash's duration on this machine, as loaded as it is. */
let typicalHashMs = 60;

/** Refuses at once (429 `server_busy`) when a password check would have to wait behind a burst. */
export function assertPasswordHashingCapacity(): void {
  const expectedWaitMs = ((hashing.size + hashing.pending) * typicalHashMs) / HASHES_AT_ONCE;
  if (expectedWaitMs > MAX_WAIT_MS) {
    throw serverBusy();
  }
}

async function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  assertPasswordHashingCapacity();
  // The estimate above lags behind a sudden burst (it learns from hashes that finished), so the wait is
  // also bounded by the clock: a hash that has not started after MAX_WAIT_MS leaves the queue with the
  // same 429, instead of holding its request until the function times out. One that started finishes.
  const notStarted = new AbortController();
  let started = false;
  const giveUp = setTimeout(() => started || notStarted.abort(), MAX_WAIT_MS);
  try {
    return await hashing.add(
      async () => {
        started = true;
        const startedAt = performance.now();
        const key = await deriveNow(password, salt, cost);
        typicalHashMs = 0.8 * typicalHashMs + 0.2 * (performance.now() - startedAt);
        return key;
      },
      { signal: notStarted.signal },
    );
  } catch (error) {
    if (notStarted.signal.aborted) throw serverBusy();
    throw error;
  } finally {
    clearTimeout(giveUp);
  }
}

function serverBusy(): TooManyRequestsError {
  return new TooManyRequestsError("Too many people are logging in right now. Try again in a moment.", 1, "server_busy");
}

function deriveNow(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string, cost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return ["scrypt", cost.N, cost.r, cost.p, salt.toString("base64"), key.toString("base64")].join("$");
}

/** Compares in constant time; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, "base64");
  const actual = await derive(password, Buffer.from(salt, "base64"), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let decoy: Promise<string> | undefined;

/**
 * Spends the same time as a real check when the account does not exist, so response times do not reveal
 * which e-mail addresses have accounts.
 */
export async function verifyAgainstDecoy(password: string): Promise<false> {
  decoy ??= hashPassword("decoy password that matches nothing");
  await verifyPassword(password, await decoy);
  return false;
}

const COMMON_PASSWORDS = new Set([
  "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwertyuiop", "qwerty123",
  "iloveyou", "11111111", "00000000", "abc12345", "letmein123", "welcome1", "admin123", "passw0rd",
  "sunshine1", "football", "baseball", "trustno1", "princess", "superman", "starwars",
]);

/** Why a password is too weak, in words for the person choosing it; `undefined` if it is acceptable. */
export function passwordWeakness(password: string, email: string): string | undefined {
  if (password.length < 8) return "Choose a password of at least 8 characters.";
  if (password.length > 200) return "Choose a password of at most 200 characters.";
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return "That password is too common; choose another.";
  if (new Set(password).size < 4) return "That password is too easy to guess; use more different characters.";
  if (password.toLowerCase() === email.toLowerCase() || password.toLowerCase() === email.split("@")[0]?.toLowerCase()) {
    return "Your password must not be your e-mail address.";
  }
  return undefined;
}
