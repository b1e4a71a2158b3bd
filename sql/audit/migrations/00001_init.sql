-- The audit service's schema. Migrations run with search_path set to the service's own
-- schema (see pkg/pgschema), so names here are unqualified and the schema is a config
-- choice.

-- +goose Up
-- One row per TaskEvent: the unique event_id makes a redelivered event a no-op
-- (INSERT ... ON CONFLICT (event_id) DO NOTHING), however often Dapr delivers it.
CREATE TABLE audit_log (
    id          uuid        PRIMARY KEY,          -- UUIDv7, assigned when recorded
    event_id    uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    task_id     uuid        NOT NULL,
    type        smallint    NOT NULL,             -- eventsv1.TaskEventType
    -- taskv1.Task as protojson: the task before the change (NULL for a creation) and after.
    before      jsonb,
    after       jsonb       NOT NULL,
    occurred_at timestamptz NOT NULL,
    change_seq  bigint      NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_log_event_id_key UNIQUE (event_id)
);
-- The user's log, newest first (ListAuditEntries without a task filter, and its keyset).
CREATE INDEX audit_log_user_occurred_idx ON audit_log (user_id, occurred_at DESC, id DESC);
-- One task's history, newest first.
CREATE INDEX audit_log_user_task_occurred_idx ON audit_log (user_id, task_id, occurred_at DESC, id DESC);

-- +goose Down
DROP TABLE audit_log;
