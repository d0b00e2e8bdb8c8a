import type { QueueName } from "../functions/manifest";
import { queues as definitions } from "../functions/manifest";
import { ALARM_PERIOD_SECONDS, oldestMessageAlarmSeconds, WATCHED_QUEUE_AGE } from "./alarm-settings";
import type { DeploySettings } from "./deploy-settings";
import type { Queues } from "./queues";

export interface WatchedFunction {
  /** A readable, unique name (`EmbedDlq`, `PostApiPersonalAuthLogin`). */
  name: string;
  functionName: $util.Input<string>;
}

/**
 * CloudWatch alarms, all sent to one SNS topic (by email with `ALARM_EMAIL`): every function's errors
 * (crashes, timeouts, failed cold starts; the dead-letter consumer's among them) and throttles, the age
 * of the oldest message on the embed and reduce queues, and any message in a dead-letter queue.
 * Metrics: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html and
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
 */
export function createAlarms(deploy: DeploySettings, queues: Queues, functions: WatchedFunction[]) {
  const topic = new aws.sns.Topic("Alarms");
  if (deploy.alarmEmail) new aws.sns.TopicSubscription("AlarmsEmail", { topic: topic.arn, protocol: "email", endpoint: deploy.alarmEmail });
  const alarm = (name: string, args: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "period" | "evaluationPeriods" | "treatMissingData">) =>
    new aws.cloudwatch.MetricAlarm(name, {
      period: ALARM_PERIOD_SECONDS,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      alarmActions: [topic.arn],
      okActions: [topic.arn],
      ...args,
    });

  const alarms: aws.cloudwatch.MetricAlarm[] = [];
  for (const fn of functions) {
    for (const metric of ["Errors", "Throttles"] as const) {
      alarms.push(
        alarm(`${fn.name}${metric}`, {
          alarmDescription: `${fn.name}: Lambda ${metric.toLowerCase()} in the last 5 minutes`,
          namespace: "AWS/Lambda",
          metricName: metric,
          dimensions: { FunctionName: fn.functionName },
          statistic: "Sum",
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          threshold: 1,
        }),
      );
    }
  }
  for (const [key, definition] of Object.entries(definitions) as [QueueName, (typeof definitions)[QueueName]][]) {
    const name = key.charAt(0).toUpperCase() + key.slice(1);
    if (WATCHED_QUEUE_AGE.includes(key)) {
      const seconds = oldestMessageAlarmSeconds(definition);
      alarms.push(
        alarm(`${name}QueueOldestMessage`, {
          alarmDescription: `${key} queue: a message has waited more than ${seconds} s`,
          namespace: "AWS/SQS",
          metricName: "ApproximateAgeOfOldestMessage",
          dimensions: { QueueName: queues.queues[key].nodes.queue.name },
          statistic: "Maximum",
          comparisonOperator: "GreaterThanThreshold",
          threshold: seconds,
        }),
      );
    }
    alarms.push(
      alarm(`${name}DlqDepth`, {
        alarmDescription: `${key} dead-letter queue: messages that failed every retry`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: queues.deadLetters[key].nodes.queue.name },
        statistic: "Maximum",
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
      }),
    );
  }
  return { topic, alarms };
}
