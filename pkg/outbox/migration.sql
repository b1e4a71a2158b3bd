-- The transactional outbox of one service, in the service's own schema (the first one on
-- the search_path): each change inserts its events here in its own transaction (Insert);
-- the Relay publishes them in seq order and stamps published_at.
--
-- Idempotent: services created this table in their first migration before pkg/outbox
-- owned it, and on such a database every statement here leaves what exists as it is.

-- +goose Up
CREATE TABLE IF NOT EXISTS outbox (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The event_id inside the payload, and the CloudEvent id.
    id           uuid        NOT NULL UNIQUE,
    topic        text        NOT NULL,
    -- The event (a taskmesh.events.v1 message) as protojson: the CloudEvent data.
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL;

-- Wake the relay as soon as rows commit (NOTIFY is delivered at commit). The channel is
-- "<schema>.outbox" (Channel), so services sharing a database do not wake each other; the
-- function lives in the service's schema, so services' copies do not clash either.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '.outbox', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- +goose Down
DROP TABLE IF EXISTS outbox;
DROP FUNCTION IF EXISTS outbox_notify();
