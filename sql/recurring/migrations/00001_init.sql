-- The recurring service's schema: the ledger of TaskEvents it has handled.

-- +goose Up
CREATE TABLE processed_events (
    event_id     uuid PRIMARY KEY,
    -- What handling the event did: "spawned <task id>", "series ended", "skipped: ...".
    outcome      text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);

-- +goose Down
DROP TABLE processed_events;
