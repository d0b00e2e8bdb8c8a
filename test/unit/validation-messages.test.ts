import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { credentialsSchema } from "../../lib/api/contract";
import { parseJsonBody } from "../../lib/http/request";

function messageFor(schema: z.ZodType, body: unknown): string {
  const event = { body: JSON.stringify(body), isBase64Encoded: false, headers: { "content-type": "application/json" } } as unknown as APIGatewayProxyEventV2;
  try {
    parseJsonBody(event, schema);
  } catch (error) {
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    return (error as Error).message;
  }
  throw new Error("the body was accepted");
}

const upload = z
  .object({
    filename: z.string().min(1).max(10),
    size: z.number().int().nonnegative(),
    kind: z.enum(["json", "zip"]).optional(),
    id: z.uuid().optional(),
    parts: z.array(z.object({ part_number: z.number().int().min(1), etag: z.string().min(1) })).min(1).optional(),
  })
  .strict();

describe("invalid-input messages", () => {
  it.each([
    ["an invalid e-mail address", credentialsSchema, { email: "me@example", password: "x" }, "Enter a valid e-mail address."],
    ["a missing password, in the schema's own words", credentialsSchema, { email: "me@example.com" }, "Enter a password."],
    ["a body that is not an object", upload, null, "The request body must be a JSON object."],
    ["a missing field", upload, { size: 3 }, 'Add "filename" to the request.'],
    ["an empty string", upload, { filename: "", size: 3 }, '"filename" must not be empty.'],
    ["a string too long", upload, { filename: "a-long-file-name.json", size: 3 }, '"filename" must be at most 10 characters long.'],
    ["a number of the wrong type", upload, { filename: "a", size: "3" }, '"size" must be a number.'],
    ["a fraction where a whole number is wanted", upload, { filename: "a", size: 1.5 }, '"size" must be a whole number.'],
    ["a negative size", upload, { filename: "a", size: -1 }, '"size" must be at least 0.'],
    ["a value outside a set", upload, { filename: "a", size: 1, kind: "rar" }, '"kind" must be one of "json", "zip".'],
    ["a malformed id", upload, { filename: "a", size: 1, id: "42" }, '"id" must be an id such as 0b7e2c34-5f1d-4a8e-9c3b-2d6f8e1a7b90.'],
    ["an empty list", upload, { filename: "a", size: 1, parts: [] }, '"parts" must list at least one item.'],
    ["a field inside a list", upload, { filename: "a", size: 1, parts: [{ part_number: 0, etag: "x" }] }, '"parts[0].part_number" must be at least 1.'],
    ["a field the request does not take", upload, { filename: "a", size: 1, colour: "red" }, 'Remove "colour": the request does not take it.'],
  ])("reads %s as a sentence, not a zod path", (_case, schema, body, expected) => {
    expect(messageFor(schema, body)).toBe(expected);
  });
});
