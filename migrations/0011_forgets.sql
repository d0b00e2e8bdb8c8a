-- Up Migration
-- Forgetting memories (lib/forgets/): each request is a row that moves pending → complete (or failed)
-- when the reduce queue has written the vault version without those memories. The exchanges it removed
-- keep their dedupe row, in state 'forgotten' (a tombstone): re-importing the same export does not bring
-- them back, unless an upload asks for it (include_forgotten) or the forget is restored.

CREATE TABLE personal.vault_forgets (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  vault_id      uuid NOT NULL REFERENCES personal.vaults(id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('memory', 'conversation', 'upload')),
  -- The memory id, conversation id or upload id, as the person named it.
  target        text NOT NULL CHECK (length(target) BETWEEN 1 AND 200),
  state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'complete', 'failed')),
  memories      integer NOT NULL DEFAULT 0 CHECK (memories >= 0),
  -- The vault version that no longer holds them.
  version       integer,
  error_message text,
  requested_at  timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz,
  restored_at   timestamptz
);
CREATE INDEX vault_forgets_vault_idx ON personal.vault_forgets (vault_id, requested_at DESC);
-- One pending forget per target: asking twice while it runs is the same request.
CREATE UNIQUE INDEX vault_forgets_pending_key ON personal.vault_forgets (vault_id, kind, target) WHERE state = 'pending';

ALTER TABLE personal.vault_exchanges DROP CONSTRAINT vault_exchanges_state_check;
ALTER TABLE personal.vault_exchanges ADD CONSTRAINT vault_exchanges_state_check CHECK (state IN ('claimed', 'merged', 'forgotten'));
ALTER TABLE personal.vault_exchanges ADD COLUMN forget_id uuid REFERENCES personal.vault_forgets(id) ON DELETE CASCADE;
CREATE INDEX vault_exchanges_forget_idx ON personal.vault_exchanges (forget_id) WHERE forget_id IS NOT NULL;

-- An upload that may bring back memories its vault forgot (the person asked for it).
ALTER TABLE personal.vault_uploads ADD COLUMN include_forgotten boolean NOT NULL DEFAULT false;
-- The forget that deleted this upload's file from the store (the file held what was forgotten); such a
-- file no longer counts towards the vault's size.
ALTER TABLE personal.vault_uploads ADD COLUMN original_removed_by uuid;
-- The sweeper has deleted every version below this one (lib/vaults/sweep-versions.ts).
ALTER TABLE personal.vaults ADD COLUMN versions_swept_below integer NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE personal.vaults DROP COLUMN IF EXISTS versions_swept_below;
ALTER TABLE personal.vault_uploads DROP COLUMN IF EXISTS original_removed_by;
ALTER TABLE personal.vault_uploads DROP COLUMN IF EXISTS include_forgotten;
DELETE FROM personal.vault_exchanges WHERE state = 'forgotten';
DROP INDEX IF EXISTS personal.vault_exchanges_forget_idx;
ALTER TABLE personal.vault_exchanges DROP COLUMN IF EXISTS forget_id;
ALTER TABLE personal.vault_exchanges DROP CONSTRAINT vault_exchanges_state_check;
ALTER TABLE personal.vault_exchanges ADD CONSTRAINT vault_exchanges_state_check CHECK (state IN ('claimed', 'merged'));
DROP TABLE IF EXISTS personal.vault_forgets;
