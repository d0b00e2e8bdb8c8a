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

/**
 * SST's esbuild options for a set of functions of one runtime. SST builds each function on its own;
 * building them in one call (each entry its own `<folder>/bundle.mjs`, no code splitting) gives the
 * same files faster. Every function's `install` packages are external to all: a bundle that never
 * imports one is unchanged by it.
 */
export function sstBuildOptions(entries: Record<string, string>, outdir: string, runtime: string, install: string[] = []): BuildOptions {
  return {
    entryPoints: entries,
    outdir,
    outExtension: { ".js": ".mjs" },
    platform: "node",
    external: ["sharp", "pg-native", ...install],
    keepNames: true,
    bundle: true,
    metafile: true,
    sourcemap: "linked",
    format: "esm",
    target: targets[runtime] ?? "esnext",
    mainFields: ["module", "main"],
    banner: { js: SST_BANNER },
    logLevel: "silent",
  };
}

export interface FunctionSpec {
  /** The folder's name under the work directory. */
  name: string;
  /** `functions/x/y.handler`, relative to the project root. */
  handler: string;
  runtime: string;
  copyFiles?: { from: string; to?: string }[];
  install?: string[];
}

export interface FunctionFolder {
  dir: string;
  /** `bundle.handler`-style: the file to import and the export to call. */
  file: string;
  exportName: string;
}

/**
 * Builds each function into `<workDir>/<name>/` with its installed packages and `copyFiles`, relative to
 * `root`. Answers the folders by name and esbuild's warnings.
 */
export async function buildFunctionFolders(root: string, workDir: string, specs: FunctionSpec[]): Promise<{ folders: Map<string, FunctionFolder>; warnings: string[] }> {
  const folders = new Map<string, FunctionFolder>();
  const warnings: string[] = [];
  for (const runtime of new Set(specs.map((spec) => spec.runtime))) {
    const group = specs.filter((spec) => spec.runtime === runtime);
    const entries = Object.fromEntries(group.map((spec) => [`${spec.name}/bundle`, path.join(root, `${spec.handler.slice(0, spec.handler.lastIndexOf("."))}.ts`)]));
    const install = [...new Set(group.flatMap((spec) => spec.install ?? []))];
    const result = await build(sstBuildOptions(entries, workDir, runtime, install));
    warnings.push(...result.warnings.map((warning) => warning.text));
  }
  for (const spec of specs) {
    const dir = path.join(workDir, spec.name);
    await mkdir(dir, { recursive: true });
    const installed = new Set<string>();
    for (const name of spec.install ?? []) await copyPackage(root, dir, name, installed);
    for (const copy of spec.copyFiles ?? []) await cp(path.join(root, copy.from), path.join(dir, copy.to ?? copy.from), { recursive: true });
    folders.set(spec.name, { dir, file: path.join(dir, "bundle.mjs"), exportName: spec.handler.slice(spec.handler.lastIndexOf(".") + 1) });
  }
  return { folders, warnings };
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
