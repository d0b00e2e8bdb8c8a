import { schedules } from "../functions/manifest";
import type { Queues } from "./queues";

function componentName(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_match, _dash, letter: string) => letter.toUpperCase());
}

/** One `sst.aws.Cron` per schedule of `functions/manifest.ts`, with the same environment and links as the consumers. */
export function createSchedules(queues: Queues) {
  return schedules.map(
    (schedule) =>
      new sst.aws.Cron(componentName(schedule.name), {
        schedule: schedule.schedule as `rate(${string})` | `cron(${string})`,
        function: {
          handler: schedule.handler,
          timeout: `${schedule.timeoutSeconds} seconds`,
          ...(schedule.memoryMb ? { memory: `${schedule.memoryMb} MB` as const } : {}),
          environment: queues.environment,
          link: Object.values(queues.queues),
        },
      }),
  );
}
