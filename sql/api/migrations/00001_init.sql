-- The api service's schema. Migrations run with search_path set to the service's own
-- schema (see pkg/migrate), so names here are unqualified and the schema is a config choice.

-- +goose Up
-- Trigram matching makes the task search (ILIKE '%text%') use an index. Installed once per
-- database, in public, where every service's search_path can see it.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    display_name  text        NOT NULL,
    time_zone     text        NOT NULL DEFAULT 'UTC',
    -- The last change sequence number handed out for this user's tasks. Bumped in the same
    -- transaction as each task change, under this row's lock, so it is gap-free per user.
    change_seq    bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Refresh tokens are stored as SHA-256 hashes. Every token descends from one sign-in (its
-- family); rotating marks the old token replaced, and presenting a replaced token revokes
-- the whole family.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid        NOT NULL,
    token_hash  bytea       NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    replaced_at timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

CREATE TABLE tags (
    id         uuid PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text        NOT NULL,
    color      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tags_user_name_key ON tags (user_id, lower(name));

CREATE TABLE tasks (
    id               uuid PRIMARY KEY,
    user_id          uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title            text        NOT NULL,
    description      text        NOT NULL DEFAULT '',
    status           smallint    NOT NULL,          -- taskv1.TaskStatus
    priority         smallint    NOT NULL DEFAULT 0, -- taskv1.Priority
    -- The deadline as a moment: the due time, or for an all-day task the end of due_date
    -- in the user's time zone. Sorting, overdue and due-range filters use it.
    due_at           timestamptz,
    -- Set for all-day tasks only.
    due_date         date,
    -- taskv1.RecurrenceRule as protojson; NULL for a one-off task.
    recurrence       jsonb,
    series_id        uuid,
    occurrence_index integer,
    completed_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    version          bigint      NOT NULL DEFAULT 1,
    change_seq       bigint      NOT NULL,
    CHECK (due_date IS NULL OR due_at IS NOT NULL),
    CHECK ((series_id IS NULL) = (occurrence_index IS NULL))
);
-- One task per occurrence of a series: spawning the next occurrence is idempotent.
CREATE UNIQUE INDEX tasks_series_occurrence_key ON tasks (series_id, occurrence_index);
CREATE UNIQUE INDEX tasks_user_change_seq_key ON tasks (user_id, change_seq);
CREATE INDEX tasks_user_created_idx ON tasks (user_id, created_at, id);
CREATE INDEX tasks_user_updated_idx ON tasks (user_id, updated_at, id);
CREATE INDEX tasks_user_due_idx ON tasks (user_id, due_at, id);
CREATE INDEX tasks_user_priority_idx ON tasks (user_id, priority, id);
CREATE INDEX tasks_user_title_idx ON tasks (user_id, lower(title), id);
CREATE INDEX tasks_search_idx ON tasks USING gin (title gin_trgm_ops, description gin_trgm_ops);

CREATE TABLE task_tags (
    task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    tag_id  uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, tag_id)
);
CREATE INDEX task_tags_tag_idx ON task_tags (tag_id, task_id);

-- The reminder schedule. remind_at is computed from `at` or from the task's due and
-- `before_due_seconds`, and recomputed when the due changes.
CREATE TABLE reminders (
    id                 uuid PRIMARY KEY,
    task_id            uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id            uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position           smallint    NOT NULL,
    at                 timestamptz,
    before_due_seconds bigint,
    remind_at          timestamptz NOT NULL,
    fired_at           timestamptz,
    CHECK ((at IS NULL) <> (before_due_seconds IS NULL))
);
CREATE INDEX reminders_task_idx ON reminders (task_id, position);
CREATE INDEX reminders_pending_idx ON reminders (remind_at) WHERE fired_at IS NULL;

-- The outbox table is pkg/outbox's own migration, added to this schema's migrations as
-- 00003_outbox.sql (see migrations.go). Databases migrated before that got the same table
-- from this file; the outbox migration is idempotent, so it leaves theirs as it is.

-- +goose Down
DROP TABLE reminders;
DROP TABLE task_tags;
DROP TABLE tasks;
DROP TABLE tags;
DROP TABLE refresh_tokens;
DROP TABLE users;
