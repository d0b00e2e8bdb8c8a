-- Up Migration
-- Chat history: each person's conversations and their messages. An answer keeps the memories its
-- prompt held and the model that wrote it, so the conversation can be shown as it was.

CREATE TABLE personal.chat_conversations (
  id         uuid PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES personal.users(id) ON DELETE CASCADE,
  title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_conversations_user_idx ON personal.chat_conversations (user_id, updated_at DESC);

CREATE TABLE personal.chat_messages (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES personal.chat_conversations(id) ON DELETE CASCADE,
  role            text NOT NULL CHECK (role IN ('user', 'assistant')),
  content         text NOT NULL,
  memories_used   jsonb,
  model           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT answer_has_provenance CHECK ((role = 'assistant') = (memories_used IS NOT NULL AND model IS NOT NULL))
);
CREATE INDEX chat_messages_conversation_idx ON personal.chat_messages (conversation_id, id);

-- Down Migration
DROP TABLE IF EXISTS personal.chat_messages;
DROP TABLE IF EXISTS personal.chat_conversations;
