/**
 * Runs `sst.config.ts` (and `stacks/`) on this machine without a cloud: SST's and Pulumi's globals are
 * replaced by recorders, so a test sees every component the stack declares, with the arguments it
 * passes, every method it calls on them, and the values it wires between them (as `{{…}}` references).
 * The stack's code is the deployed code; only what SST would do with it is left out. Facts about what
 * SST does with those arguments (defaults, transforms) are stated where the tests use them.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

export interface RecordedCall {
  method: string;
  args: unknown[];
}

export interface Recorded {
  /** `sst.aws.Queue`, `aws.cloudwatch.MetricAlarm`, … */
  type: string;
  name: string;
  args: any;
  calls: RecordedCall[];
}

export interface RecordedFunction {
  /** Where the function is declared: `sst.aws.Function:Name`, `sst.aws.Cron:Name`, `sst.aws.Queue:Embed.subscribe`, `sst.aws.ApiGatewayV2:Api.route POST /x`. */
  source: string;
  /** The component it hangs off (the queue of a subscriber, the API of a route, the cron of a schedule), if any. */
  owner?: Recorded;
  args: any;
}

export interface Recording {
  components: Recorded[];
  outputs: Record<string, unknown>;
  /** Every function the stack declares, with `$transform(sst.aws.Function, …)` applied as SST does. */
  functions(): RecordedFunction[];
  ofType(type: string): Recorded[];
  one(type: string, name: string): Recorded;
}

const PATH = Symbol("path");
const OWNER = Symbol("owner");

/** The `{{path}}` a reference stands for, or the value itself. */
export function text(value: unknown): unknown {
  if ((typeof value === "function" || typeof value === "object") && value !== null && (value as any)[PATH] !== undefined) return `{{${(value as any)[PATH]}}}`;
  return value;
}

/** The recorded component a reference belongs to (a component, or any value read from one). */
export function ownerOf(value: unknown): Recorded | undefined {
  return (typeof value === "function" || typeof value === "object") && value !== null ? (value as any)[OWNER] : undefined;
}

function reference(refPath: string, owner: Recorded | undefined): any {
  const target = function () {};
  return new Proxy(target, {
    get(_target, property) {
      if (property === PATH) return refPath;
      if (property === OWNER) return owner;
      if (property === Symbol.toPrimitive || property === "toString" || property === "toJSON") return () => `{{${refPath}}}`;
      if (property === "then") return undefined;
      if (property === "apply") return () => reference(`${refPath}.apply`, owner);
      return reference(`${refPath}.${String(property)}`, owner);
    },
    apply(_target, _this, args) {
      const method = refPath.slice(refPath.lastIndexOf(".") + 1);
      owner?.calls.push({ method, args });
      return reference(`${refPath}()`, owner);
    },
  });
}

/** A namespace (`sst`, `aws`) whose every member path is a recording constructor. */
function namespace(prefix: string, components: Recorded[]): any {
  const target = function () {};
  return new Proxy(target, {
    get(_target, property) {
      if (property === PATH) return prefix;
      if (typeof property === "symbol") return undefined;
      return namespace(`${prefix}.${property}`, components);
    },
    construct(_target, [name, args]) {
      const recorded: Recorded = { type: prefix, name: String(name), args, calls: [] };
      components.push(recorded);
      return reference(`${prefix}:${name}`, recorded);
    },
  });
}

const GLOBALS = ["$config", "sst", "aws", "$app", "$interpolate", "$util", "$transform", "$jsonStringify"] as const;

/**
 * Evaluates `sst.config.ts`'s `run()` for `stage` with the recorders installed, the deployer's
 * environment extended by `env` (as SST loads `.env.<stage>`). Globals are restored afterwards.
 */
export async function recordStack(options: { stage?: string; env?: Record<string, string> } = {}): Promise<Recording> {
  const components: Recorded[] = [];
  const transforms: { type: string; transform: (args: any) => void }[] = [];
  const saved = new Map(GLOBALS.map((name) => [name, (globalThis as any)[name]]));
  const savedEnv = { ...process.env };
  Object.assign(globalThis, {
    $config: (input: unknown) => input,
    sst: namespace("sst", components),
    aws: namespace("aws", components),
    $app: { name: "cogzy-vaults", stage: options.stage ?? "production" },
    $interpolate: (strings: TemplateStringsArray, ...values: unknown[]) => strings.reduce((joined, part, index) => joined + part + (index < values.length ? String(text(values[index])) : ""), ""),
    $util: { jsonParse: (value: unknown) => reference(`jsonParse(${String(text(value)).slice(2, -2)})`, ownerOf(value)) },
    $jsonStringify: (value: unknown) => JSON.stringify(value, (_key, item) => text(item)),
    $transform: (type: unknown, transform: (args: any) => void) => transforms.push({ type: (type as any)[PATH], transform }),
  });
  Object.assign(process.env, options.env);
  try {
    const config = (await import(pathToFileURL(path.resolve("sst.config.ts")).href)).default as { run(): Promise<Record<string, unknown>> };
    const outputs = await config.run();
    return recording(components, outputs, transforms);
  } finally {
    for (const [name, value] of saved) (globalThis as any)[name] = value;
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
  }
}

/** A copy of plain objects and arrays; references, functions and other values are shared. */
function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clone(item)]));
  }
  return value;
}

function recording(components: Recorded[], outputs: Record<string, unknown>, transforms: { type: string; transform: (args: any) => void }[]): Recording {
  const asFunction = (source: string, owner: Recorded | undefined, args: unknown): RecordedFunction => {
    const copy = clone(typeof args === "string" ? { handler: args } : args) as any;
    for (const { type, transform } of transforms) if (type === "sst.aws.Function") transform(copy);
    return { source, owner, args: copy };
  };
  return {
    components,
    outputs,
    ofType: (type) => components.filter((component) => component.type === type),
    one(type, name) {
      const found = components.find((component) => component.type === type && component.name === name);
      if (!found) throw new Error(`no ${type} named ${name}`);
      return found;
    },
    functions() {
      const functions: RecordedFunction[] = [];
      for (const component of components) {
        if (component.type === "sst.aws.Function") functions.push(asFunction(`sst.aws.Function:${component.name}`, undefined, component.args));
        if (component.type === "sst.aws.Cron") functions.push(asFunction(`sst.aws.Cron:${component.name}`, component, component.args.function));
        for (const call of component.calls) {
          if (component.type === "sst.aws.Queue" && call.method === "subscribe") {
            functions.push(asFunction(`sst.aws.Queue:${component.name}.subscribe`, component, call.args[0]));
          }
          if (component.type === "sst.aws.ApiGatewayV2" && call.method === "route") {
            functions.push(asFunction(`sst.aws.ApiGatewayV2:${component.name}.route ${String(call.args[0])}`, component, call.args[1]));
          }
        }
      }
      return functions;
    },
  };
}
