import { PassThrough } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AnswerTooLarge, readAnswer, type AnswerBuffers } from "../../lib/embeddings/answer-reader";

/** A body that delivers `bytes` in pieces cut at `cuts` (offsets), one write per piece, then ends. */
function bodyOf(bytes: Buffer, cuts: number[] = []): PassThrough {
  const body = new PassThrough();
  const offsets = [...new Set(cuts.filter((cut) => cut > 0 && cut < bytes.length))].sort((a, b) => a - b);
  let start = 0;
  for (const end of [...offsets, bytes.length]) {
    body.write(bytes.subarray(start, end));
    start = end;
  }
  body.end();
  return body;
}

const patterned = (length: number, seed = 1) => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed * 7) & 0xff));

describe("readAnswer", () => {
  it("returns exactly the bytes sent, whatever the pieces they arrive in", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), fc.array(fc.nat(5000), { maxLength: 12 }), fc.option(fc.nat(6000)), async (length, cuts, declared) => {
        const bytes = patterned(length);
        const buffers: AnswerBuffers = { spare: [] };

        const answer = await readAnswer(bodyOf(bytes, cuts), buffers, 1 << 20, declared ?? undefined);

        expect(answer.bytes.equals(bytes)).toBe(true);
        answer.release();
      }),
      { numRuns: 150 },
    );
  });

  it("grows past a content-length that understated the answer", async () => {
    const bytes = patterned(300_000);

    const answer = await readAnswer(bodyOf(bytes, [1, 65_536, 131_072, 262_143]), { spare: [] }, 1 << 20, 10);

    expect(answer.bytes.equals(bytes)).toBe(true);
  });

  it("reuses one buffer from answer to answer and shows only the current answer's bytes", async () => {
    const buffers: AnswerBuffers = { spare: [] };
    const long = patterned(200_000, 1);
    const short = patterned(1_000, 2);

    const first = await readAnswer(bodyOf(long, [70_000]), buffers, 1 << 20);
    const firstMemory = first.bytes.buffer;
    first.release();
    const second = await readAnswer(bodyOf(short), buffers, 1 << 20);

    expect(second.bytes.buffer).toBe(firstMemory);
    expect(second.bytes.equals(short)).toBe(true);
    expect(buffers.spare).toHaveLength(0);
    second.release();
    second.release();
    expect(buffers.spare).toHaveLength(1);
  });

  it("refuses an answer longer than the cap and destroys the body", async () => {
    const body = new PassThrough();
    const reading = readAnswer(body, { spare: [] }, 1_000);

    body.write(patterned(600));
    body.write(patterned(600));

    await expect(reading).rejects.toBeInstanceOf(AnswerTooLarge);
    expect(body.destroyed).toBe(true);
  });

  it("accepts an answer of exactly the cap", async () => {
    const bytes = patterned(1_000);

    const answer = await readAnswer(bodyOf(bytes, [999]), { spare: [] }, 1_000);

    expect(answer.bytes.equals(bytes)).toBe(true);
  });

  it("rejects with the body's error when the connection fails mid-answer, and keeps its buffer", async () => {
    const buffers: AnswerBuffers = { spare: [] };
    const body = new PassThrough();
    const reading = readAnswer(body, buffers, 1 << 20);

    body.write(patterned(500));
    body.destroy(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }));

    await expect(reading).rejects.toThrow("other side closed");
    expect(buffers.spare).toHaveLength(1);
  });
});
