import { isSessionEnded, messageOf, type Page } from "./api";

/**
 * A list read page by page from a route that answers {@link Page}s (`GET /vault/memories`,
 * `/vault/conversations`): `load()` reads the first page again, `load(cursor)` appends the next one.
 * A session that ended goes to `onsessionended`; any other failure is kept in `error` for the list.
 * Only the last load's answer is shown, whatever order the answers arrive in.
 */
export function pagedList<T>(fetchPage: (cursor?: string) => Promise<Page<T>>, onsessionended: (message: string) => void) {
  let items = $state<T[]>([]);
  let page = $state<Page<T> | null>(null);
  let busy = $state(false);
  let error = $state<string | null>(null);
  /** The last load asked for: an answer to an earlier one (other filters, a page since replaced) is dropped. */
  let latest = 0;

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
      const call = ++latest;
      if (!cursor) page = null;
      busy = true;
      error = null;
      try {
        const answer = await fetchPage(cursor);
        // Answers can arrive out of order: a list asked for before this one must not replace it.
        if (call !== latest) return;
        items = cursor ? [...items, ...answer.items] : answer.items;
        page = answer;
      } catch (failure) {
        if (call !== latest) return;
        if (isSessionEnded(failure)) onsessionended(failure.message);
        else error = messageOf(failure);
      } finally {
        if (call === latest) busy = false;
      }
    },
  };
}
