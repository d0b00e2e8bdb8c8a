import { startTestStack } from "../../support/stack";

/**
 * The stack for browser tests: `npm start`'s own, where the page PUTs files to the store through the
 * stack's CORS relay (the emulator has no CORS; see local/store-cors-relay.ts).
 */
export async function startBrowserTestStack() {
  const stack = await startTestStack();
  return {
    ...stack,
    /** Where the browser reaches the store (presigned URLs point here). */
    publicStoreEndpoint: stack.storeEndpoint,
  };
}
