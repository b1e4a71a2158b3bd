-- name: ProcessedEventExists :one
SELECT EXISTS (SELECT 1 FROM processed_events WHERE event_id = @event_id);

-- name: ProcessedEventRecord :exec
INSERT INTO processed_events (event_id, outcome) VALUES (@event_id, @outcome)
ON CONFLICT (event_id) DO NOTHING;

-- name: ProcessedEventPurge :execrows
-- Forgets events handled before @before. A redelivery older than that is still harmless:
-- the effect itself is idempotent (unique event id or (series, index)).
DELETE FROM processed_events WHERE processed_at < @before;
