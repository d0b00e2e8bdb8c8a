import { schedules } from "../functions/manifest";
import { functionArgs, type FunctionContext } from "./functions";

function componentName(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_match, _dash, letter: string) => letter.toUpperCase());
}

/** One `sst.aws.Cron` per schedule of `functions/manifest.ts`, with the same environment and links as every function. */
export function createSchedules(context: FunctionContext) {
  return schedules.map((schedule) => {
    const name = componentName(schedule.name);
    const cron = new sst.aws.Cron(name, {
      schedule: schedule.schedule as `rate(${string})` | `cron(${string})`,
      function: functionArgs(context, schedule),
    });
    return { name, functionName: cron.nodes.function.name };
  });
}
