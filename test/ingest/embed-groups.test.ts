import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createLocalEmbedder, type Embedder } from "../../lib/embeddings";
import { embedChunkConsumer, splitUploadConsumer } from "../../lib/ingest/consumers";
import { mergeChunksConsumer } from "../../lib/ingest/merge-consumer";
import type { EmbedChunkMessage } from "../../lib/ingest/messages";
import { pipelineDeps } from "../../lib/ingest/pipeline-deps";
import { chunkLinesRange, chunkRows, encodeLinesRange, encodeRowFactBytes, LINES_RANGE_SECTION, ROW_FACT_BYTES_SECTION } from "../../lib/ingest/vault-files";
import { embeddingText } from "../../lib/ingest/vault-nodes";
import { chunkSampleKey, chunkSegmentPartKey, chunkVectorsKey } from "../../lib/ingest/work-files";
import { encodeSegmentPart } from "../../lib/search/segment-builder";
import { getStore } from "../../lib/store/client";
import { objectBytes } from "../../lib/store/streams";
import { decodeNpy } from "../../lib/vectors/npy";
import { uniqueEmail } from "../support/api";
import { drivePipeline } from "../support/drive";
import { chatgptExport, conversations } from "../support/exports";
import { uploadBytes } from "../support/ingest";
import { useTestStack } from "../support/stack";
import { uploadRow } from "../support/uploads";
import { findUpload } from "../../lib/uploads/upload-rows";

const ctx = useTestStack({ consumers: false });

// 330 exchanges: a chunk of 256 rows (four whole groups of the local embedder's 64) and one of 74 (a
// group and a part of one).
const exportFile = chatgptExport(conversations("groups", 110, 3));

interface ChunkFiles {
  input: Buffer;
  vectors: Buffer;
  part: Buffer;
  sample: Buffer;
}

/**
 * Runs an upload of the export through the real handlers with `embedder` in the embed workers, and
 * keeps each chunk's files as its embed worker wrote them (the merge removes them).
 */
async function embeddedChunks(embedder: Embedder): Promise<Map<number, ChunkFiles>> {
  const { body } = await ctx.api.signUp(uniqueEmail("groups"));
  const uploadId = await uploadBytes(ctx.api, body.token, "conversations.json", exportFile);
  // Every upload gets samples here, so the sample's rows are checked too.
  const deps = { ...pipelineDeps(), sampledUploadBytes: 0 };
  const realEmbed = embedChunkConsumer(() => ({ ...deps, embedder })).main;
  const chunks = new Map<number, ChunkFiles>();
  const embed = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse | void> => {
    const answer = await realEmbed(event, context);
    const message = JSON.parse(event.Records[0]!.body) as EmbedChunkMessage;
    const upload = (await findUpload(ctx.db, message.upload_id))!;
    const read = (key: string) => objectBytes(getStore(), key);
    const keys = [upload.vault_prefix, message.upload_id, message.attempt, message.chunk_index] as const;
    chunks.set(message.chunk_index, {
      input: await read(message.input_key),
      vectors: await read(chunkVectorsKey(...keys)),
      part: await read(chunkSegmentPartKey(...keys)),
      sample: await read(chunkSampleKey(...keys)),
    });
    return answer;
  };
  const handlers = { ingest: splitUploadConsumer(() => deps).main, embed, reduce: mergeChunksConsumer(() => deps).main };
  await drivePipeline(ctx.stack, async () => ["complete", "failed"].includes((await uploadRow(ctx.db, uploadId)).state), { handlers });
  expect((await uploadRow(ctx.db, uploadId)).state).toBe("complete");
  return chunks;
}

/** The local embedder as a hosted one looks to the embed worker: no lower-cased entry, so it takes a chunk's rows at once. */
function wholeChunkEmbedder(): Embedder {
  const { embedLowerCasedInto: _lowerCased, ...rest } = createLocalEmbedder();
  return rest;
}

describe("an embed worker's chunk files, its rows taken a group at a time", { timeout: 120_000 }, () => {
  it("are the files of the chunk's rows taken at once: the same vectors, search part and sample, byte for byte", async () => {
    const grouped = await embeddedChunks(createLocalEmbedder());
    const whole = await embeddedChunks(wholeChunkEmbedder());
    expect([...grouped.keys()].sort()).toEqual([0, 1]);

    for (const [index, files] of grouped) {
      const other = whole.get(index)!;
      for (const written of [files, other]) {
        const { nodes, lines } = chunkRows(written.input);
        expect(nodes.length).toBe(index === 0 ? 256 : 74);
        // Each row's vector, embedded alone from its whole text.
        const expected = await createLocalEmbedder().embed(nodes.map(embeddingText));
        expect(decodeNpy(written.vectors)).toEqual({ rows: nodes.length, dim: 1024, data: Float32Array.from(expected.flatMap((vector) => [...vector])) });
        // The part of every row at once, from the nodes' own texts.
        const sections = { [ROW_FACT_BYTES_SECTION]: encodeRowFactBytes(nodes), [LINES_RANGE_SECTION]: encodeLinesRange(chunkLinesRange(written.input)!) };
        expect(written.part.equals(encodeSegmentPart(nodes, lines!, sections))).toBe(true);
      }
      // The two uploads are of the same exchanges (their lines differ only in the upload's id): the same sample.
      expect(files.sample.length).toBeGreaterThan(0);
      expect(other.sample.equals(files.sample)).toBe(true);
    }
  });
});
