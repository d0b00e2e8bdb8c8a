import { Worker } from "node:worker_threads";
const run = (mod, execArgv) => new Promise((resolve) => { const w = new Worker(new URL("./probe-w.mjs", import.meta.url), { workerData: { mod }, execArgv }); w.on("message", (m) => { resolve(m); w.terminate(); }); w.on("error", (e) => resolve(String(e))); });
const tsx = ["--import", import.meta.resolve("tsx")];
console.log("sdk plain", await run("@aws-sdk/client-s3", []));
console.log("sdk tsx", await run("@aws-sdk/client-s3", tsx));
console.log("split tsx", await run(new URL("./functions/queues/split-upload.ts", import.meta.url).href, tsx));
console.log("split tsx again", await run(new URL("./functions/queues/split-upload.ts", import.meta.url).href, tsx));
