import { randomUUID } from "node:crypto";
import type { Context, ScheduledEvent } from "aws-lambda";
import { Cron } from "croner";
import type { ScheduleDefinition } from "../functions/manifest";
import { log } from "../lib/log";
import { lambdaContext, loadHandler } from "./lambda-context";

export type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface LocalSchedule {
  definition: ScheduleDefinition;
  /** Runs the function now, as its timer would (waits for a run already in progress first), and returns what it returned. */
  runNow(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Milliseconds until the next run of an EventBridge schedule expression after `from`.
 * `rate(N unit)` runs every N units; `cron(min hour day-of-month month day-of-week year)` is read in
 * UTC with AWS's conventions (day of week 1 = Sunday, `?` = any), which croner's 7-field Quartz mode
 * shares once a seconds field is put in front.
 */
export function msUntilNextRun(expression: string, from = new Date()): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const unit = rate[2]!.startsWith("minute") ? 60_000 : rate[2]!.startsWith("hour") ? 3_600_000 : 86_400_000;
    return Number(rate[1]) * unit;
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron || cron[1]!.trim().split(/\s+/).length !== 6) throw new Error(`not an EventBridge schedule expression: ${expression}`);
  const pattern = `0 ${cron[1]!.trim().replaceAll("?", "*")}`;
  const next = new Cron(pattern, { timezone: "UTC", mode: "7-part", alternativeWeekdays: true }).nextRun(from);
  if (!next) throw new Error(`${expression} never runs again`);
  return next.getTime() - from.getTime();
}

/**
 * Runs a scheduled function on its timer the way EventBridge invokes it: a "Scheduled Event" and a
 * Lambda context with its timeout. Runs never overlap locally (one process); a failed run is logged
 * and the next one comes at its time, as in the cloud.
 */
export async function startSchedule(root: string, definition: ScheduleDefinition, options: { timer?: boolean } = {}): Promise<LocalSchedule> {
  const handler = await loadHandler<ScheduledHandler>(root, definition.handler);
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const run = () => {
    const next = running.catch(() => undefined).then(() => handler(scheduledEvent(definition), lambdaContext(definition.handler, definition.timeoutSeconds)));
    running = next.catch(() => undefined);
    return next;
  };
  const arm = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      run()
        .catch((error) => log.error("scheduled function failed", { schedule: definition.name, error }))
        .finally(arm);
    }, msUntilNextRun(definition.schedule));
    timer.unref();
  };
  if (options.timer !== false) arm();

  return {
    definition,
    runNow: run,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

function scheduledEvent(definition: ScheduleDefinition): ScheduledEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "000000000000",
    time: new Date().toISOString(),
    region: "us-east-1",
    resources: [`arn:aws:events:us-east-1:000000000000:rule/${definition.name}`],
    detail: {},
  };
}
