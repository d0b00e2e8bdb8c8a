-- Up Migration
-- An emptied vault's files are deleted by a message on the reduce queue (lib/vaults/empty-vault.ts). The
-- vault row remembers the emptying until that deletion has run, so that the hourly file sweeper can
-- finish it if the message never gets through (dead-lettered): the files hold the memories the person
-- asked to be rid of.
ALTER TABLE personal.vaults ADD COLUMN IF NOT EXISTS emptied_version integer;
ALTER TABLE personal.vaults ADD COLUMN IF NOT EXISTS emptied_at timestamptz;
CREATE INDEX IF NOT EXISTS vaults_emptied_idx ON personal.vaults (emptied_at) WHERE emptied_version IS NOT NULL;

-- Down Migration
DROP INDEX IF EXISTS personal.vaults_emptied_idx;
ALTER TABLE personal.vaults DROP COLUMN IF EXISTS emptied_at;
ALTER TABLE personal.vaults DROP COLUMN IF EXISTS emptied_version;
