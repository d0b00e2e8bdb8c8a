import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { dataItems } from "../../lib/embeddings/data-items";
import { decodeEmbeddingsAnswer, InvalidEmbeddingsAnswer, providerErrorMessage } from "../../lib/embeddings/embeddings-response";

const dim = 4;
const base64Of = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString("base64");
const answer = (data: unknown[], extra: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ object: "list", data, model: "m", ...extra }));
const decode = (body: Buffer | string, count: number) => decodeEmbeddingsAnswer(Buffer.isBuffer(body) ? body : Buffer.from(body), count, dim);

describe("splitting an answer into its data items", () => {
  const envelope = fc.record({
    extra: fc.dictionary(fc.string().filter((k) => k !== "data" && k !== "__proto__"), fc.jsonValue(), { maxKeys: 4 }),
    data: fc.array(fc.dictionary(fc.string().filter((k) => k !== "__proto__"), fc.jsonValue(), { maxKeys: 4 }), { maxLength: 6 }),
    indent: fc.constantFrom(undefined, 1, 2),
  });

  it("finds exactly the items JSON.parse finds, whatever else the answer holds", () => {
    fc.assert(
      fc.property(envelope, ({ extra, data, indent }) => {
        const body = Buffer.from(JSON.stringify({ ...extra, data }, null, indent));

        const items = dataItems(body)?.map((item) => JSON.parse(item.toString("utf8")));

        expect(items).toEqual(JSON.parse(body.toString("utf8")).data);
      }),
      { numRuns: 500 },
    );
  });

  it("rejects every truncation of an answer", () => {
    fc.assert(
      fc.property(envelope, fc.double({ min: 0, max: 1, noNaN: true }), ({ extra, data }, cut) => {
        const body = Buffer.from(JSON.stringify({ ...extra, data }));

        expect(dataItems(body.subarray(0, Math.floor(cut * (body.length - 1))))).toBeUndefined();
      }),
    );
  });

  it("rejects answers whose data is missing, not an array, or holds non-objects", () => {
    for (const body of ['{"object":"list"}', '{"data":{}}', '{"data":[1,2]}', '{"data":["a"]}', '[{"data":[]}]', '{"data":[]} x']) {
      expect(dataItems(Buffer.from(body)), body).toBeUndefined();
    }
  });
});

describe("decoding an embeddings answer", () => {
  it("returns vectors in the order of their index, not of the list", () => {
    const body = answer([
      { index: 1, embedding: base64Of([0, 2, 0, 0]) },
      { index: 0, embedding: base64Of([3, 0, 0, 0]) },
    ]);

    const [first, second] = decode(body, 2);

    expect(Array.from(first!)).toEqual([1, 0, 0, 0]);
    expect(Array.from(second!)).toEqual([0, 1, 0, 0]);
  });

  it("takes list order when the server sends no index", () => {
    const [first] = decode(answer([{ embedding: [0, 0, 5, 0] }, { embedding: [1, 0, 0, 0] }]), 2);

    expect(Array.from(first!)).toEqual([0, 0, 1, 0]);
  });

  it("normalises vectors a server did not normalise", () => {
    const [v] = decode(answer([{ index: 0, embedding: [3, 4, 0, 0] }]), 1);

    expect(v![0]).toBeCloseTo(0.6, 6);
    expect(v![1]).toBeCloseTo(0.8, 6);
  });

  const invalid: [string, Buffer | string, number, RegExp][] = [
    ["a body cut short", '{"object":"list","data":[{"index":0,"embedding":"AAAA', 1, /not JSON/],
    ["an error object with status 200", '{"error":"overloaded"}', 1, /not an embeddings list/],
    ["fewer vectors than inputs", answer([{ index: 0, embedding: [1, 0, 0, 0] }]), 2, /sent 2 inputs, got 1/],
    ["a repeated index", answer([{ index: 0, embedding: [1, 0, 0, 0] }, { index: 0, embedding: [1, 0, 0, 0] }]), 2, /repeated/],
    ["a vector of the wrong length", answer([{ index: 0, embedding: [1, 0, 0] }]), 1, /expected 4 dimensions, got a vector of 3/],
    ["base64 of the wrong length", answer([{ index: 0, embedding: base64Of([1, 0]) }]), 1, /expected 4 dimensions, got a vector of 2/],
    ["garbled base64", answer([{ index: 0, embedding: `${base64Of([1, 0, 0, 0]).slice(0, 8)}!!!!!!!!${base64Of([1, 0, 0, 0]).slice(16)}` }]), 1, /not valid base64/],
    ["an all-zero vector", answer([{ index: 0, embedding: [0, 0, 0, 0] }]), 1, /all zeros/],
    ["a vector beyond float32 range", answer([{ index: 0, embedding: [1e39, 0, 0, 0] }]), 1, /not finite/],
    ["an item without an embedding", answer([{ index: 0, vector: [1, 0, 0, 0] }]), 1, /item 0 is not an embedding/],
  ];
  for (const [what, body, count, message] of invalid) {
    it(`calls ${what} an invalid answer`, () => {
      expect(() => decode(body, count)).toThrow(InvalidEmbeddingsAnswer);
      expect(() => decode(body, count)).toThrow(message);
    });
  }
});

describe("the flat items most servers send, read without JSON.parse", () => {
  const outcome = (body: string, count: number) => {
    try {
      return { vectors: decode(body, count).map((vector) => [...vector]) };
    } catch (error) {
      if (error instanceof InvalidEmbeddingsAnswer) return { invalid: true };
      throw error;
    }
  };
  const item = fc.record(
    {
      object: fc.constantFrom("embedding", 'emb"edding', "é"),
      index: fc.oneof(fc.nat(3), fc.constant(-1), fc.constant(1.5), fc.constant("0")),
      embedding: fc.oneof(
        { arbitrary: fc.constant(base64Of([1, 2, 3, 4])), weight: 4 },
        fc.constant(base64Of([1, 2])),
        fc.constant([0, 0, 3, 4]),
        fc.constant("not base64!"),
      ),
      extra: fc.oneof(fc.string(), fc.integer(), fc.jsonValue()),
    },
    { requiredKeys: ["embedding"] },
  );

  it("decode exactly as JSON.parse would: a compact answer agrees with the same answer indented", () => {
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 3 }), (items) => {
        const data = items.map(({ extra, ...rest }) => (extra === undefined ? rest : { ...rest, extra }));
        const compact = outcome(JSON.stringify({ object: "list", data }), data.length);
        // Whitespace sends every item through JSON.parse and the schema.
        expect(compact).toEqual(outcome(JSON.stringify({ object: "list", data }, null, 1), data.length));
      }),
      { numRuns: 500 },
    );
  });

  it("refuse what JSON.parse or the schema refuses: a trailing comma, a leading zero, an index that is not a number", () => {
    const vector = base64Of([1, 2, 3, 4]);
    for (const bad of [`{"index":0,"embedding":"${vector}",}`, `{"index":00,"embedding":"${vector}"}`, `{"index":0,,"embedding":"${vector}"}`, `{"index":"0","embedding":"${vector}"}`]) {
      expect(() => decode(`{"data":[${bad}]}`, 1), bad).toThrow(InvalidEmbeddingsAnswer);
    }
  });
});

describe("reading a provider's error message", () => {
  it("understands the OpenAI, TEI/Ollama and FastAPI shapes, and plain text", () => {
    expect(providerErrorMessage('{"error":{"message":"Invalid API key","type":"auth"}}')).toBe("Invalid API key");
    expect(providerErrorMessage('{"error":"model not found","error_type":"Validation"}')).toBe("model not found");
    expect(providerErrorMessage('{"detail":"Not authenticated"}')).toBe("Not authenticated");
    expect(providerErrorMessage("<html>Bad Gateway</html>")).toBe("<html>Bad Gateway</html>");
    expect(providerErrorMessage("")).toBe("(empty body)");
  });
});
