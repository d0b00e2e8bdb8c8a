import { describe, expect, it } from "vitest";
import { queueUrlFromArn, retryDelaySeconds } from "../../lib/queues/retry-backoff";

describe("retry backoff", () => {
  it("waits 30 s more with each delivery, at most 15 minutes", () => {
    expect([1, 2, 3, 5, 30, 31, 100].map(retryDelaySeconds)).toEqual([30, 60, 90, 150, 900, 900, 900]);
  });

  it("treats a missing or odd receive count as the first delivery", () => {
    expect([0, Number.NaN, -2].map(retryDelaySeconds)).toEqual([30, 30, 30]);
  });

  it("finds a record's queue from its ARN, on AWS or on a local endpoint", () => {
    expect(queueUrlFromArn("arn:aws:sqs:eu-west-1:123456789012:cogzy-vaults-production-ReduceQueue.fifo")).toBe(
      "https://sqs.eu-west-1.amazonaws.com/123456789012/cogzy-vaults-production-ReduceQueue.fifo",
    );
    expect(queueUrlFromArn("arn:aws:sqs:us-east-1:000000000000:cogzy-embed", "http://127.0.0.1:3001")).toBe("http://127.0.0.1:3001/000000000000/cogzy-embed");
    expect(() => queueUrlFromArn("arn:aws:sns:us-east-1:1:topic")).toThrow("not an SQS queue ARN");
  });
});
