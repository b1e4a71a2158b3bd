-- name: OutboxInsert :exec
INSERT INTO outbox (id, topic, payload) VALUES (@id, @topic, @payload);
