-- Up Migration
-- A merge's commit marks every exchange its upload claimed as merged, in one UPDATE (lib/ingest/claims.ts
-- markMerged): 100,000 rows for a large export, inside the transaction that switches the vault's version.
-- No indexed column changes there, so each row can be updated in place on its own page (a heap-only
-- tuple, with no new index entries) if the page has room for the new version; at the default fillfactor
-- of 100 the claims' pages are full, and every row moved to a new page with an entry in every index.
-- Half of each page is left free for that update
-- (https://www.postgresql.org/docs/current/storage-hot.html, https://www.postgresql.org/docs/current/sql-createtable.html#RELOPTION-FILLFACTOR).
-- Pages written before this keep their layout; new claims fill new pages.
ALTER TABLE personal.vault_exchanges SET (fillfactor = 50);

-- Down Migration
ALTER TABLE personal.vault_exchanges RESET (fillfactor);
