/**
 * Every `vault` command, declared once: its name, operands, one-line summary and options. Parsing,
 * `--help` and `vault --help` are generated from this table (`command-line.ts`), and each command's
 * module is loaded only when it runs. To add a command, add an entry here (a name may be two words,
 * e.g. "tier set") and a module exporting `run({ values, operands })` that returns the exit code.
 */
import { defineCommand, type CommandSpec, type OptionSpec } from "./command-line";

/** The options of every command that talks to the API as the person. */
export const ACCOUNT_OPTIONS = {
  email: { type: "string", value: "address", env: "VAULT_EMAIL", required: true, description: "your account's e-mail address" },
  password: { type: "string", value: "passphrase", env: "VAULT_PASSWORD", required: true, description: "your account's password" },
  api: { type: "string", value: "url", env: "VAULT_API", default: "http://localhost:3000", description: "the Cogzy Vaults API to talk to" },
} as const satisfies Record<string, OptionSpec>;

export const COMMANDS: Record<string, CommandSpec<any>> = {
  parse: defineCommand({
    operands: "<file>",
    summary: "Read a chat export on this machine and print one JSON record per line (nothing is sent anywhere).",
    details: "Records go to stdout, the summary to stderr; a file that is not a usable export gets a one-line reason and exit code 1.",
    options: {
      "include-do-not-remember": { type: "boolean", description: 'keep ChatGPT conversations marked "do not remember" (skipped by default)' },
      "summary-only": { type: "boolean", description: "print only the summary" },
    },
    load: () => import("./parse"),
  }),
  import: defineCommand({
    operands: "<file>",
    summary: "Upload a ChatGPT, Claude, Grok or Gemini export (.zip or .json) into your vault and follow it until it is merged.",
    details:
      "The file is checked on this machine first: one that is not a usable export is never uploaded. Each exchange (a message you sent and the answer to it) and each profile fact (custom instructions, saved memories) becomes one memory; ones your vault already holds are skipped.",
    options: {
      ...ACCOUNT_OPTIONS,
      signup: { type: "boolean", description: "create the account if there is none with this address (never done otherwise)" },
    },
    load: () => import("./import"),
  }),
  search: defineCommand({
    operands: "<query> [more words...]",
    summary: "Search your vault (a premium feature) and print the best matching memories as a table.",
    details:
      "Hybrid search: meaning and exact words, so names, order numbers and function names are found as typed. Each row shows the date it was said, the source, the conversation's title and a snippet, then the memory's id and a link to the conversation. Log in with --email and --password, or give a personal access token.",
    options: {
      k: { type: "string", value: "n", default: "10", description: "how many memories (1–50)" },
      source: { type: "string", value: "name", description: "only memories from openai, anthropic, grok or gemini" },
      from: { type: "string", value: "date", description: "only memories said on or after this date (2024-01-31)" },
      to: { type: "string", value: "date", description: "only memories said on or before this date" },
      token: { type: "string", value: "cvt_…", env: "VAULT_TOKEN", description: "a personal access token (instead of --email and --password)" },
      email: { ...ACCOUNT_OPTIONS.email, required: false },
      password: { ...ACCOUNT_OPTIONS.password, required: false },
      api: ACCOUNT_OPTIONS.api,
      json: { type: "boolean", description: "print the API's answer as JSON instead of a table" },
    },
    load: () => import("./search"),
  }),
  export: defineCommand({
    summary: "Download your whole vault as a zip: memories.md to read, nodes.json, nodes.npy, clusters.json and a README.",
    details:
      "The zip is made on the server from your vault's current version and downloaded through a link that works for 15 minutes. The README inside describes every file's format; nothing in the zip needs Cogzy Vaults to be read.",
    options: {
      out: { type: "string", value: "file", default: "vault.zip", description: "where to write the zip" },
      ...ACCOUNT_OPTIONS,
    },
    load: () => import("./export"),
  }),
  "tier set": defineCommand({
    operands: "<email> <tier>",
    summary: "Put a user on the free or premium plan, directly in the database (for operators and local use); billing hands the plan back to their subscription.",
    details: "Connects to DATABASE_URL; without it, to the local stack's PostgreSQL (PG_PORT, else two ports above the API's: PORT, or VAULT_API's port when it is on this machine, else 3000).",
    options: {},
    load: () => import("./tier"),
  }),
  chat: defineCommand({
    operands: "<message...>",
    summary: "Ask your memory: prints the reply as it is written, then the memories it used and the messages left today.",
    details:
      "The reply draws on the memories of your own vault that best match the message, each shown with its date, source and title. Free accounts have 20 messages a day (UTC); a reply that fails is not counted.",
    options: {
      ...ACCOUNT_OPTIONS,
      conversation: { type: "string", value: "id", description: "continue this conversation (its id is printed after each reply)" },
      json: { type: "boolean", description: "print the whole answer as one JSON object instead" },
    },
    load: () => import("./chat"),
  }),
  "b2 setup": defineCommand({
    summary: "Set up a Backblaze B2 bucket as a deployed stage's vault store, through B2's native API, and print the stage's secrets.",
    details:
      "Applies the browser-upload CORS rule, a lifecycle rule that cancels unfinished large files under users/ after 2 days, and the event notification rule that posts new objects to the webhook, signed; creates an application key that can only use this bucket. Other rules on the bucket are kept, and running it again replaces only its own. The administrator's key must be able to list and write buckets, write keys, and read and write bucket notifications.",
    options: {
      bucket: { type: "string", value: "name", required: true, description: "the vault bucket (it must exist)" },
      "webhook-url": {
        type: "string",
        value: "https url",
        description: "where B2 posts new objects: the stack's `webhook` output (set it up again with it after a first deploy)",
      },
      origin: { type: "string", value: "url", description: "the web app's origin (default: the webhook's, as the Router serves both)" },
      "signing-secret": { type: "string", value: "secret", env: "B2_WEBHOOK_SECRET", description: "32 letters and digits (default: a new one)" },
      stage: { type: "string", value: "name", default: "production", description: "the stage the printed `sst secret set` commands are for" },
      "skip-key": { type: "boolean", description: "do not create the functions' key (B2 shows a key's secret only once)" },
      "key-id": { type: "string", value: "id", env: "B2_APPLICATION_KEY_ID", required: true, description: "the administrator's application key id" },
      key: { type: "string", value: "key", env: "B2_APPLICATION_KEY", required: true, description: "the administrator's application key" },
      "api-url": { type: "string", value: "url", env: "B2_API_URL", default: "https://api.backblazeb2.com", description: "B2's native API" },
    },
    load: () => import("./b2-setup"),
  }),
};
