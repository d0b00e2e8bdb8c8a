-- Up Migration
-- An upload asked to bring forgotten memories back takes their tombstones over (lib/ingest/claims.ts).
-- If it fails, the tombstones must come back as they were: the forget that made them is kept in
-- forget_id while the row is claimed, and the upload that held the tombstone in forgotten_upload_id.
-- That upload may be dismissed meanwhile: the tombstone would have gone with it (upload_id cascades),
-- so the link goes too and the release deletes the row, as before.
ALTER TABLE personal.vault_exchanges ADD COLUMN IF NOT EXISTS forgotten_upload_id uuid REFERENCES personal.vault_uploads(id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS vault_exchanges_forgotten_upload_idx ON personal.vault_exchanges (forgotten_upload_id) WHERE forgotten_upload_id IS NOT NULL;

-- Down Migration
DROP INDEX IF EXISTS personal.vault_exchanges_forgotten_upload_idx;
ALTER TABLE personal.vault_exchanges DROP COLUMN IF EXISTS forgotten_upload_id;
