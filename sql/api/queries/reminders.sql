-- name: ReminderClaimDue :many
-- Claims up to @max_rows due, unfired reminders of live pending tasks (any replica may
-- run this at the same time: SKIP LOCKED hands each row to one of them) and marks them
-- fired. The caller writes their ReminderEvents to the outbox in the same transaction.
WITH due AS (
    SELECT r.id
    FROM reminders r
    JOIN tasks k ON k.id = r.task_id
    WHERE r.fired_at IS NULL AND r.remind_at <= @now::timestamptz
      AND k.status = 1 AND k.deleted_at IS NULL
    ORDER BY r.remind_at
    LIMIT @max_rows
    FOR UPDATE OF r SKIP LOCKED
)
UPDATE reminders r SET fired_at = @now::timestamptz
FROM due, tasks k
WHERE r.id = due.id AND k.id = r.task_id
RETURNING r.id, r.task_id, r.user_id, r.remind_at, k.title, k.due_at, k.due_date;

-- name: ReminderDropPast :exec
-- Reminders that came due while their task was completed or deleted are not sent when it
-- comes back: they are marked as past.
UPDATE reminders SET fired_at = @now::timestamptz
WHERE task_id = @task_id AND fired_at IS NULL AND remind_at <= @now::timestamptz;
