#!/usr/bin/env node
// The `vault` command. The sources are TypeScript; tsx compiles them on the fly so `npx vault` works
// straight after `npm install`, with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
