-- Up Migration
-- Contract step of 0008: apply once every function runs code that reads vault_uploads.state. What an
-- upload's status, phase and percentage are, and whether a vault is syncing, are derived when read.

DROP INDEX IF EXISTS personal.vault_uploads_status_idx;
DROP INDEX IF EXISTS personal.vault_uploads_content_idx;
DROP INDEX IF EXISTS personal.vault_uploads_unsettled_idx;
ALTER TABLE personal.vault_uploads DROP COLUMN status, DROP COLUMN phase, DROP COLUMN progress_pct;
DROP INDEX IF EXISTS personal.vaults_status_idx;
ALTER TABLE personal.vaults DROP COLUMN status;

-- Down Migration
ALTER TABLE personal.vaults ADD COLUMN status text NOT NULL DEFAULT 'empty' CHECK (status IN ('empty', 'syncing', 'ready', 'error'));
UPDATE personal.vaults SET status = CASE WHEN node_count > 0 THEN 'ready' ELSE 'empty' END;
CREATE INDEX vaults_status_idx ON personal.vaults (status);
ALTER TABLE personal.vault_uploads
  ADD COLUMN status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'complete', 'failed')),
  ADD COLUMN phase text NOT NULL DEFAULT 'awaiting_upload'
    CHECK (phase IN ('awaiting_upload', 'queued', 'parsing', 'embedding', 'merging', 'done', 'failed')),
  ADD COLUMN progress_pct integer NOT NULL DEFAULT 0 CHECK (progress_pct BETWEEN 0 AND 100);
UPDATE personal.vault_uploads SET
  status = CASE state WHEN 'awaiting_upload' THEN 'pending' WHEN 'complete' THEN 'complete' WHEN 'failed' THEN 'failed' ELSE 'processing' END,
  phase = CASE state WHEN 'complete' THEN 'done' ELSE state END;
CREATE INDEX vault_uploads_status_idx ON personal.vault_uploads (status);
CREATE INDEX vault_uploads_content_idx ON personal.vault_uploads (vault_id, content_sha256) WHERE status = 'complete';
CREATE INDEX vault_uploads_unsettled_idx ON personal.vault_uploads (updated_at) WHERE status IN ('pending', 'processing');
