-- Up Migration
-- The ingestion pipeline: presigned uploads, per-phase progress, chunk fan-out, exchange dedupe and the
-- vault's current version (the pointer readers follow to corpus/, vectors/ and indexes/).

ALTER TABLE personal.vault_uploads
  ADD COLUMN object_key          text,
  ADD COLUMN declared_bytes      bigint CHECK (declared_bytes >= 0),
  ADD COLUMN content_type        text,
  ADD COLUMN multipart_id        text,
  ADD COLUMN phase               text NOT NULL DEFAULT 'awaiting_upload'
    CHECK (phase IN ('awaiting_upload', 'queued', 'parsing', 'embedding', 'merging', 'done', 'failed')),
  ADD COLUMN content_sha256      text,
  ADD COLUMN duplicate_of        uuid REFERENCES personal.vault_uploads(id) ON DELETE SET NULL,
  ADD COLUMN exchanges_found     integer NOT NULL DEFAULT 0 CHECK (exchanges_found >= 0),
  ADD COLUMN profiles_found      integer NOT NULL DEFAULT 0 CHECK (profiles_found >= 0),
  ADD COLUMN bytes_parsed        bigint NOT NULL DEFAULT 0,
  ADD COLUMN chunks_total        integer NOT NULL DEFAULT 0 CHECK (chunks_total >= 0),
  ADD COLUMN chunks_done         integer NOT NULL DEFAULT 0 CHECK (chunks_done >= 0),
  -- Each split attempt writes its chunks under its own number, so a crashed attempt's leftovers are never mixed in.
  ADD COLUMN split_attempt       integer NOT NULL DEFAULT 0,
  ADD COLUMN chunks_enqueued_at  timestamptz,
  -- The embedder the split chose; every chunk must be embedded by it, and the merge records it.
  ADD COLUMN embedder            text,
  ADD COLUMN embedder_model      text,
  ADD COLUMN embedding_dim       integer,
  ADD COLUMN parse_summary       jsonb,
  ADD COLUMN timings             jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN updated_at          timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT chunks_done_within_total CHECK (chunks_done <= chunks_total);
CREATE UNIQUE INDEX vault_uploads_object_key_key ON personal.vault_uploads (object_key);
CREATE INDEX vault_uploads_content_idx ON personal.vault_uploads (vault_id, content_sha256) WHERE status = 'complete';
CREATE TRIGGER vault_uploads_touch_updated_at BEFORE UPDATE ON personal.vault_uploads
  FOR EACH ROW EXECUTE FUNCTION personal.touch_updated_at();

ALTER TABLE personal.vaults
  ADD COLUMN current_version integer NOT NULL DEFAULT 0 CHECK (current_version >= 0),
  ADD COLUMN embedder        text,
  ADD COLUMN embedder_model  text,
  ADD COLUMN embedding_dim   integer;

-- One row per exchange (or profile fact) a vault holds or is about to hold. The primary key is the
-- dedupe key, so claiming is one INSERT … ON CONFLICT: two uploads can never both claim one exchange.
CREATE TABLE personal.vault_exchanges (
  vault_id     uuid NOT NULL REFERENCES personal.vaults(id) ON DELETE CASCADE,
  content_hash bytea NOT NULL CHECK (length(content_hash) = 32),
  record_id    text NOT NULL,
  upload_id    uuid NOT NULL REFERENCES personal.vault_uploads(id) ON DELETE CASCADE,
  state        text NOT NULL DEFAULT 'claimed' CHECK (state IN ('claimed', 'merged')),
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (vault_id, content_hash)
);
CREATE INDEX vault_exchanges_upload_idx ON personal.vault_exchanges (upload_id);

CREATE TABLE personal.upload_chunks (
  upload_id    uuid NOT NULL REFERENCES personal.vault_uploads(id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  chunk_index  integer NOT NULL CHECK (chunk_index >= 0),
  records      integer NOT NULL CHECK (records > 0),
  state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
  done_at      timestamptz,
  PRIMARY KEY (upload_id, attempt, chunk_index)
);

-- Down Migration
DROP TABLE IF EXISTS personal.upload_chunks;
DROP TABLE IF EXISTS personal.vault_exchanges;
ALTER TABLE personal.vaults
  DROP COLUMN IF EXISTS current_version,
  DROP COLUMN IF EXISTS embedder,
  DROP COLUMN IF EXISTS embedder_model,
  DROP COLUMN IF EXISTS embedding_dim;
DROP TRIGGER IF EXISTS vault_uploads_touch_updated_at ON personal.vault_uploads;
DROP INDEX IF EXISTS personal.vault_uploads_content_idx;
DROP INDEX IF EXISTS personal.vault_uploads_object_key_key;
ALTER TABLE personal.vault_uploads
  DROP CONSTRAINT IF EXISTS chunks_done_within_total,
  DROP COLUMN IF EXISTS object_key,
  DROP COLUMN IF EXISTS declared_bytes,
  DROP COLUMN IF EXISTS content_type,
  DROP COLUMN IF EXISTS multipart_id,
  DROP COLUMN IF EXISTS phase,
  DROP COLUMN IF EXISTS content_sha256,
  DROP COLUMN IF EXISTS duplicate_of,
  DROP COLUMN IF EXISTS exchanges_found,
  DROP COLUMN IF EXISTS profiles_found,
  DROP COLUMN IF EXISTS bytes_parsed,
  DROP COLUMN IF EXISTS chunks_total,
  DROP COLUMN IF EXISTS chunks_done,
  DROP COLUMN IF EXISTS split_attempt,
  DROP COLUMN IF EXISTS chunks_enqueued_at,
  DROP COLUMN IF EXISTS embedder,
  DROP COLUMN IF EXISTS embedder_model,
  DROP COLUMN IF EXISTS embedding_dim,
  DROP COLUMN IF EXISTS parse_summary,
  DROP COLUMN IF EXISTS timings,
  DROP COLUMN IF EXISTS updated_at;
