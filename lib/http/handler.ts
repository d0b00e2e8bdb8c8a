import middy, { type MiddlewareObj } from "@middy/core";
import type { Context } from "aws-lambda";
import { isAppError, TooManyRequestsError } from "../errors";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { log, logger } from "../log";
import type { HttpEvent } from "./request";
import { json, type HttpResult } from "./response";

/**
 * Maps expected errors to `{error: code, message}` with their status; anything else is logged with the
 * request's context and answered as a generic 500, so no stack trace or internal detail reaches a caller.
 */
export function errorResponses(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: (request) => {
      const error = request.error;
      if (isAppError(error) && error.expose) {
        const headers: Record<string, string> = {};
        if (error instanceof TooManyRequestsError) headers["retry-after"] = String(error.retryAfterSeconds);
        request.response = json(error.status, { error: error.code, message: error.message, ...error.fields }, { headers });
        return;
      }
      log.error("request failed", {
        route: request.event.routeKey,
        requestId: request.event.requestContext?.requestId,
        error,
      });
      request.response = json(500, { error: "internal_error", message: "Something went wrong on our side. Please try again." });
    },
  };
}

export type HttpMain = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** Wraps an API route's core function the way every route is wrapped. */
export function httpHandler(main: HttpMain) {
  return middy<HttpEvent, HttpResult>(main).use(injectLambdaContext(logger, { resetKeys: true })).use(errorResponses());
}
