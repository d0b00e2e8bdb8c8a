import { parentPort, workerData } from "node:worker_threads";
const t = performance.now(); const c = process.cpuUsage();
await import(workerData.mod);
const u = process.cpuUsage(c);
parentPort.postMessage({ ms: Math.round(performance.now() - t), cpu: Math.round((u.user + u.system) / 1000) });
