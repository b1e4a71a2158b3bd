-- The notification service's schema. Migrations run with search_path set to the service's
-- own schema (see pkg/pgschema), so names here are unqualified and the schema is a config
-- choice.

-- +goose Up
-- Every ReminderEvent the service has finished with, whatever the outcome: a notification
-- stored, or the reminder skipped because its task is gone, deleted or no longer pending.
-- Written in the same transaction as the notification (or alone for a skip), and inserted
-- first: the primary key is the gate that makes a redelivery, or two deliveries racing,
-- have no visible effect, and it spares a redelivered skip a second call to the api.
CREATE TABLE processed_events (
    event_id     uuid        PRIMARY KEY,
    outcome      text        NOT NULL
        CHECK (outcome IN ('notified', 'task_not_found', 'task_deleted', 'task_not_pending')),
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- The users' inboxes: one row per reminder that fired for a pending task.
CREATE TABLE notifications (
    id          uuid        PRIMARY KEY,          -- UUIDv7, assigned when stored
    event_id    uuid        NOT NULL,             -- the ReminderEvent's
    user_id     uuid        NOT NULL,
    task_id     uuid        NOT NULL,
    reminder_id uuid        NOT NULL,
    title       text        NOT NULL,             -- the task's title when the reminder fired
    due         jsonb,                            -- taskv1.Due as protojson; NULL without a due
    remind_at   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    CONSTRAINT notifications_event_id_key UNIQUE (event_id)
);
-- The inbox, newest first (ListNotifications and its keyset).
CREATE INDEX notifications_user_created_idx ON notifications (user_id, created_at DESC, id DESC);
-- Unread ones only: unread_count, ListNotifications(unread_only) and "mark all read" stay
-- cheap however large the read history grows.
CREATE INDEX notifications_user_unread_idx ON notifications (user_id, created_at DESC, id DESC)
    WHERE read_at IS NULL;

-- The outbox table is pkg/outbox's own migration, added to this schema's migrations as
-- 00003_outbox.sql (see migrations.go). Databases migrated before that got the same table
-- from this file; the outbox migration is idempotent, so it leaves theirs as it is.

-- +goose Down
DROP TABLE notifications;
DROP TABLE processed_events;
