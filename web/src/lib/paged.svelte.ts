import { isSessionEnded, messageOf, type Page } from "./api";

/**
 * A list read page by page from a route that answers {@link Page}s (`GET /vault/memories`,
 * `/vault/conversations`): `load()` reads the first page again, `load(cursor)` appends the next one.
 * A session that ended goes to `onsessionended`; any other failure is kept in `error` for the list.
 */
export function pagedList<T>(fetchPage: (cursor?: string) => Promise<Page<T>>, onsessionended: (message: string) => void) {
  let items = $state<T[]>([]);
  let page = $state<Page<T> | null>(null);
  let busy = $state(false);
  let error = $state<string | null>(null);

  return {
    get items() {
      return items;
    },
    get page() {
      return page;
    },
    get busy() {
      return busy;
    },
    get error() {
      return error;
    },
    async load(cursor?: string) {
      if (!cursor) page = null;
      busy = true;
      error = null;
      try {
        const answer = await fetchPage(cursor);
        items = cursor ? [...items, ...answer.items] : answer.items;
        page = answer;
      } catch (failure) {
        if (isSessionEnded(failure)) onsessionended(failure.message);
        else error = messageOf(failure);
      } finally {
        busy = false;
      }
    },
  };
}
