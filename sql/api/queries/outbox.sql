-- name: OutboxInsert :exec
INSERT INTO outbox (id, topic, payload) VALUES (@id, @topic, @payload);

-- name: OutboxListUnpublished :many
SELECT * FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT @max_rows;
