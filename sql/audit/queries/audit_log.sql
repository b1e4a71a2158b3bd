-- name: AuditLogInsert :execrows
-- Records one event; a redelivered event (same event_id) changes nothing and affects no
-- row.
INSERT INTO audit_log (id, event_id, user_id, task_id, type, before, after, occurred_at, change_seq)
VALUES (@id, @event_id, @user_id, @task_id, @type, @before, @after, @occurred_at, @change_seq)
ON CONFLICT (event_id) DO NOTHING;

-- name: AuditLogList :many
-- The user's entries matching the filters that are set, newest first, after the keyset
-- cursor (cursor_at, cursor_id) when given. An empty types array means every type. With no
-- cursor the keyset bound is (infinity, max uuid), so that the row comparison stays an
-- index condition in generic plans too.
SELECT * FROM audit_log
WHERE user_id = @user_id
  AND (coalesce(cardinality(@types::smallint[]), 0) = 0 OR type = ANY(@types::smallint[]))
  AND (sqlc.narg(task_id)::uuid IS NULL OR task_id = sqlc.narg(task_id)::uuid)
  AND (sqlc.narg(occurred_after)::timestamptz IS NULL OR occurred_at >= sqlc.narg(occurred_after)::timestamptz)
  AND (sqlc.narg(occurred_before)::timestamptz IS NULL OR occurred_at < sqlc.narg(occurred_before)::timestamptz)
  AND (occurred_at, id) < (coalesce(sqlc.narg(cursor_at)::timestamptz, 'infinity'::timestamptz),
                           coalesce(sqlc.narg(cursor_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
ORDER BY occurred_at DESC, id DESC
LIMIT @max_rows;
