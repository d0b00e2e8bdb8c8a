-- Up Migration
-- One upload state instead of status + phase (lib/uploads/lifecycle.ts moves it, guarded by the state it
-- starts from), and the exchanges an upload found held by another upload still in flight: it stores
-- them only if that upload cannot (lib/ingest/merge-upload.ts).
-- Expand step: the old columns stay until 0009 drops them, once no running code reads them.

ALTER TABLE personal.vault_uploads ADD COLUMN state text;
-- A split attempt owns its upload while this is recent (lib/ingest/split-upload.ts); no lock is held.
ALTER TABLE personal.vault_uploads ADD COLUMN split_heartbeat_at timestamptz;
UPDATE personal.vault_uploads SET state = CASE
  WHEN status IN ('complete', 'failed') THEN status
  WHEN phase = 'awaiting_upload' THEN 'awaiting_upload'
  WHEN phase IN ('queued', 'parsing') THEN 'parsing'
  WHEN phase IN ('embedding', 'merging') THEN phase
  ELSE 'failed' END;
ALTER TABLE personal.vault_uploads
  ALTER COLUMN state SET NOT NULL,
  ALTER COLUMN state SET DEFAULT 'awaiting_upload',
  ADD CONSTRAINT vault_uploads_state_check CHECK (state IN ('awaiting_upload', 'parsing', 'embedding', 'merging', 'complete', 'failed'));
CREATE INDEX vault_uploads_vault_state_idx ON personal.vault_uploads (vault_id, state);
CREATE INDEX vault_uploads_complete_content_idx ON personal.vault_uploads (vault_id, content_sha256) WHERE state = 'complete';
CREATE INDEX vault_uploads_unsettled_state_idx ON personal.vault_uploads (updated_at) WHERE state NOT IN ('complete', 'failed');

-- Deferred: an exchange of this upload's chunk that another unsettled upload had claimed when this one
-- was split. The merge resolves each: already merged (a duplicate), held by an upload that can still
-- store it (wait, or take its vector), or let go by a failed one (this upload's own work now).
CREATE TABLE personal.upload_deferrals (
  upload_id    uuid NOT NULL REFERENCES personal.vault_uploads(id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  chunk_index  integer NOT NULL CHECK (chunk_index >= 0),
  vault_id     uuid NOT NULL REFERENCES personal.vaults(id) ON DELETE CASCADE,
  content_hash bytea NOT NULL CHECK (length(content_hash) = 32),
  record_id    text NOT NULL,
  PRIMARY KEY (upload_id, attempt, chunk_index, content_hash)
);

-- Down Migration
DROP TABLE IF EXISTS personal.upload_deferrals;
DROP INDEX IF EXISTS personal.vault_uploads_unsettled_state_idx;
DROP INDEX IF EXISTS personal.vault_uploads_complete_content_idx;
DROP INDEX IF EXISTS personal.vault_uploads_vault_state_idx;
ALTER TABLE personal.vault_uploads DROP CONSTRAINT IF EXISTS vault_uploads_state_check, DROP COLUMN IF EXISTS state, DROP COLUMN IF EXISTS split_heartbeat_at;
