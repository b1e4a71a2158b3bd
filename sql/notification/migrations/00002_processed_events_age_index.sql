-- Handled events are forgotten after a week (see ProcessedEventPurge): index their age.

-- +goose Up
CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);

-- +goose Down
DROP INDEX processed_events_processed_at_idx;
