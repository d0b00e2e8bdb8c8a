/**
 * `npm run bench:put-cost`: what storing bytes costs the local store's process, in CPU per MiB. The embed
 * workers PUT their vectors, samples and search parts (8 MiB and less each) and the split its chunk
 * files, ~850 MB for a 100k-exchange export, and a browser's upload arrives in parts, all through this
 * one process, which shares the machine's cores with the functions.
 *
 * Each round PUTs the objects as PutObject, then as the parts of one multipart upload (4 in flight, as
 * the functions send them); the baseline, in the same run, is the floor any store on this disk pays:
 * this process hashing the same bytes with MD5 (S3's ETag) and writing them to new files in the same
 * folder. Run: `npm run bench:put-cost [-- objects]` (default 80 objects of 8 MiB).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import PQueue from "p-queue";
import { startEmulatorProcess } from "../local/emulator-process";

const objects = Number(process.argv[2] ?? 80);
const MiB = 1024 * 1024;
const OBJECT_BYTES = 8 * MiB;
const BUCKET = "cogzy-bench";

/** CPU time of a process so far (`utime` + `stime` of `/proc/<pid>/stat`, in 100ths of a second). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), "cogzy-put-cost-"));
const emulator = await startEmulatorProcess({ dataDir, port: 0, bucket: BUCKET });
const client = new S3Client({
  region: "us-east-1",
  endpoint: emulator.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
  requestChecksumCalculation: "WHEN_REQUIRED",
  requestHandler: { httpAgent: { keepAlive: true, maxSockets: 16 } },
});
const bodies = Array.from({ length: 4 }, (_, index) => Buffer.alloc(OBJECT_BYTES, index + 1));
const mib = (objects * OBJECT_BYTES) / MiB;
const perMiB = (ms: number) => `${(ms / mib).toFixed(2)} ms per MiB`;

/** The store's CPU for sending every object through `send`, 4 at a time. */
async function storeCpu(send: (index: number) => Promise<unknown>): Promise<number> {
  const before = cpuMsOf(emulator.pid);
  const queue = new PQueue({ concurrency: 4 });
  for (let index = 0; index < objects; index++) void queue.add(() => send(index));
  await queue.onIdle();
  return cpuMsOf(emulator.pid) - before;
}

try {
  process.stdout.write(`${objects} objects of 8 MiB (${mib} MiB) a round, ${os.availableParallelism()} cores\n`);
  for (let round = 0; round < 3; round++) {
    const put = await storeCpu((index) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `put/${round}/${index}.bin`, Body: bodies[index % 4] })));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `parts/${round}.bin` }));
    const parts = await storeCpu((index) => client.send(new UploadPartCommand({ Bucket: BUCKET, Key: `parts/${round}.bin`, UploadId, PartNumber: index + 1, Body: bodies[index % 4] })));
    const folder = path.join(dataDir, "baseline", String(round));
    mkdirSync(folder, { recursive: true });
    const before = process.cpuUsage();
    for (let index = 0; index < objects; index++) {
      createHash("md5").update(bodies[index % 4]!).digest();
      writeFileSync(path.join(folder, `${index}.bin`), bodies[index % 4]!);
    }
    const used = process.cpuUsage(before);
    const baseline = (used.user + used.system) / 1000;
    process.stdout.write(`round ${round}: PutObject ${perMiB(put)}, UploadPart ${perMiB(parts)}; baseline (MD5 + write to new files here) ${perMiB(baseline)}\n`);
  }
} finally {
  client.destroy();
  await emulator.stop();
  await rm(dataDir, { recursive: true, force: true });
}
