/**
 * Structured logs through Powertools' Logger: one JSON object per line with the Lambda context
 * (function name, request id, cold start) when a handler injects it, the shape CloudWatch Logs
 * Insights queries well (https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/).
 * Never log secrets, passwords, tokens or conversation text; ids and counts only, with upload and
 * vault ids under the keys `uploadId` and `vaultId`.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { getConfig } from "./config";

const LEVELS = { debug: "DEBUG", info: "INFO", warn: "WARN", error: "ERROR", silent: "SILENT" } as const;

/**
 * The level comes from the one configuration module. It is given to the constructor because
 * Powertools restores the constructor's level at every invocation; an invalid configuration is
 * reported by the first function that reads it, so logging starts at `info` then.
 */
function configuredLevel() {
  try {
    return LEVELS[getConfig().logLevel];
  } catch {
    return LEVELS.info;
  }
}

/** The process's logger; handlers pass it to Powertools' `injectLambdaContext` middleware. */
export const logger = new Logger({ serviceName: "cogzy-vaults", logLevel: configuredLevel() });

type Fields = Record<string, unknown>;

export const log = {
  debug: (message: string, fields: Fields = {}) => logger.debug(message, fields),
  info: (message: string, fields: Fields = {}) => logger.info(message, fields),
  warn: (message: string, fields: Fields = {}) => logger.warn(message, fields),
  error: (message: string, fields: Fields = {}) => logger.error(message, fields),
};
