/**
 * Bundles a handler the way `sst deploy` does for a Node.js function, and prepares the folder Lambda
 * would unpack: SST's esbuild settings (sst/sst pkg/runtime/node/build.go: one ESM file `bundle.mjs`,
 * platform node, the runtime's target, `module` before `main`, `sharp` and `pg-native` external, names
 * kept, and a banner giving ESM code `require`, `__filename` and `__dirname`), the packages of its
 * `nodejs.install` left out of the bundle and installed beside it (here copied from node_modules, with
 * their dependencies, where SST runs `npm install`), the function's `copyFiles`, and its links encrypted into `resource.enc` as SST writes them (AES-256-GCM, zero nonce,
 * key in `SST_KEY`), which `sst/resource` decrypts at cold start.
 */
import { createCipheriv, randomBytes } from "node:crypto";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { build, type BuildOptions } from "esbuild";

/** Lambda runtime → esbuild target, as SST maps them. */
const targets: Record<string, string> = { "nodejs22.x": "es2023", "nodejs20.x": "es2023", "nodejs24.x": "es2024" };

export const SST_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");

export function sstBuildOptions(entry: string, outfile: string, runtime: string, install: string[] = []): BuildOptions {
  return {
    entryPoints: [entry],
    platform: "node",
    external: ["sharp", "pg-native", ...install],
    keepNames: true,
    bundle: true,
    metafile: true,
    outfile,
    sourcemap: "linked",
    format: "esm",
    target: targets[runtime] ?? "esnext",
    mainFields: ["module", "main"],
    banner: { js: SST_BANNER },
    logLevel: "silent",
  };
}

export interface FunctionFolder {
  dir: string;
  /** `bundle.handler`-style: the file to import and the export to call. */
  file: string;
  exportName: string;
  warnings: string[];
}

/**
 * Builds `handler` (`functions/x/y.handler`) into `dir` with `copyFiles`, relative to `root`.
 */
export async function buildFunctionFolder(options: {
  root: string;
  dir: string;
  handler: string;
  runtime: string;
  copyFiles?: { from: string; to?: string }[];
  install?: string[];
}): Promise<FunctionFolder> {
  const at = options.handler.lastIndexOf(".");
  const entry = path.join(options.root, `${options.handler.slice(0, at)}.ts`);
  await mkdir(options.dir, { recursive: true });
  const result = await build(sstBuildOptions(entry, path.join(options.dir, "bundle.mjs"), options.runtime, options.install));
  const installed = new Set<string>();
  for (const name of options.install ?? []) await copyPackage(options.root, options.dir, name, installed);
  for (const copy of options.copyFiles ?? []) {
    await cp(path.join(options.root, copy.from), path.join(options.dir, copy.to ?? copy.from), { recursive: true });
  }
  return {
    dir: options.dir,
    file: path.join(options.dir, "bundle.mjs"),
    exportName: options.handler.slice(at + 1),
    warnings: result.warnings.map((warning) => warning.text),
  };
}

/** Copies a package and, recursively, its dependencies from the project's node_modules. */
async function copyPackage(root: string, dir: string, name: string, installed: Set<string>): Promise<void> {
  if (installed.has(name)) return;
  installed.add(name);
  const source = path.join(root, "node_modules", name);
  await cp(source, path.join(dir, "node_modules", name), { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(source, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  for (const dependency of Object.keys(manifest.dependencies ?? {})) await copyPackage(root, dir, dependency, installed);
}

/**
 * Writes `links` into the folder's `resource.enc` and answers the environment SST gives the function
 * so `sst/resource` decrypts them.
 */
export async function writeLinks(folder: FunctionFolder, links: Record<string, unknown>): Promise<Record<string, string>> {
  const key = randomBytes(32);
  const cipher = createCipheriv("aes-256-gcm", key, Buffer.alloc(12, 0));
  const encrypted = Buffer.concat([cipher.update(JSON.stringify(links)), cipher.final(), cipher.getAuthTag()]);
  await writeFile(path.join(folder.dir, "resource.enc"), encrypted);
  return { SST_KEY: key.toString("base64"), SST_KEY_FILE: "resource.enc", SST_RESOURCE_App: JSON.stringify({ name: "cogzy-vaults", stage: "production" }) };
}
