import type { SQSClient } from "@aws-sdk/client-sqs";
import type pg from "pg";
import type { Store } from "../../lib/store/client";

/**
 * Dependencies that fail on purpose, to play a crash at an exact point: the first `times` calls that
 * match throw, as a function killed mid-flight would stop there; later calls go through. Used with the
 * real Postgres, store and queues, never instead of them.
 */
export interface Fault {
  readonly fired: number;
}

export class InjectedCrash extends Error {
  constructor(where: string) {
    super(`injected crash: ${where}`);
  }
}

/** Fires on matches number `skip + 1` to `skip + times`: "crash on the second claim", say. */
function counter(times: number, skip = 0) {
  let seen = 0;
  let fired = 0;
  return {
    get fired() {
      return fired;
    },
    take(): boolean {
      seen += 1;
      if (seen <= skip || fired >= times) return false;
      fired += 1;
      return true;
    },
  };
}

/** A pool whose queries matching `pattern` (on pool.query or on a checked-out client) throw. */
export function crashingPool(pool: pg.Pool, pattern: RegExp, options: { times?: number; skip?: number } = {}): { pool: pg.Pool; fault: Fault } {
  const fault = counter(options.times ?? 1, options.skip);
  const guard = (sql: unknown) => {
    const text = typeof sql === "string" ? sql : (sql as { text?: string })?.text ?? "";
    if (pattern.test(text) && fault.take()) throw new InjectedCrash(`query ${pattern}`);
  };
  const wrapClient = (client: pg.PoolClient) =>
    new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === "query") {
          return (sql: unknown, ...rest: unknown[]) => {
            // A crash inside a transaction must not leave it open on a pooled connection.
            try {
              guard(sql);
            } catch (error) {
              return (target.query as (sql: string) => Promise<unknown>)("ROLLBACK").then(() => Promise.reject(error));
            }
            return (target.query as (...args: unknown[]) => unknown)(sql, ...rest);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const wrapped = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === "query") {
        return async (sql: unknown, ...rest: unknown[]) => {
          guard(sql);
          return (target.query as (...args: unknown[]) => unknown)(sql, ...rest);
        };
      }
      if (prop === "connect") return async () => wrapClient(await target.connect());
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { pool: wrapped, fault };
}

/** An AWS SDK client whose commands named `commandName` throw. */
function crashingClient<C extends { send: (...args: any[]) => any }>(client: C, commandName: string, times: number): { client: C; fault: Fault } {
  const fault = counter(times);
  const wrapped = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "send") {
        return (command: { constructor: { name: string } }, ...rest: unknown[]) => {
          if (command.constructor.name === commandName && fault.take()) return Promise.reject(new InjectedCrash(commandName));
          return target.send(command, ...rest);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { client: wrapped, fault };
}

export function crashingSqs(sqs: SQSClient, commandName: string, times = 1) {
  const { client, fault } = crashingClient(sqs, commandName, times);
  return { sqs: client, fault };
}

export function crashingStore(store: Store, commandName: string, times = 1) {
  const { client, fault } = crashingClient(store.client, commandName, times);
  return { store: { ...store, client }, fault };
}
