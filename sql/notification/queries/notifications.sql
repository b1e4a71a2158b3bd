-- name: NotificationInsert :one
-- Stores one notification and returns it; no row when one exists for the event already.
INSERT INTO notifications (id, event_id, user_id, task_id, reminder_id, title, due, remind_at)
VALUES (@id, @event_id, @user_id, @task_id, @reminder_id, @title, @due, @remind_at)
ON CONFLICT (event_id) DO NOTHING
RETURNING *;

-- name: NotificationList :many
-- The user's notifications, newest first (ties by id, descending), after the keyset
-- cursor (cursor_at, cursor_id) when given. With no cursor the bound is (infinity, max
-- uuid), so that the row comparison stays an index condition in generic plans too.
SELECT * FROM notifications
WHERE user_id = @user_id
  AND (created_at, id) < (coalesce(sqlc.narg(cursor_at)::timestamptz, 'infinity'::timestamptz),
                          coalesce(sqlc.narg(cursor_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @max_rows;

-- name: NotificationListUnread :many
-- NotificationList for unread notifications only; a query of its own so that it reads
-- the partial index of unread ones.
SELECT * FROM notifications
WHERE user_id = @user_id AND read_at IS NULL
  AND (created_at, id) < (coalesce(sqlc.narg(cursor_at)::timestamptz, 'infinity'::timestamptz),
                          coalesce(sqlc.narg(cursor_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @max_rows;

-- name: NotificationCountUnread :one
SELECT count(*) FROM notifications WHERE user_id = @user_id AND read_at IS NULL;

-- name: NotificationMarkRead :execrows
-- Marks the user's unread notifications among ids read; ids of other users' notifications
-- match nothing.
UPDATE notifications SET read_at = now()
WHERE user_id = @user_id AND id = ANY(@ids::uuid[]) AND read_at IS NULL;

-- name: NotificationMarkAllRead :execrows
UPDATE notifications SET read_at = now()
WHERE user_id = @user_id AND read_at IS NULL;
