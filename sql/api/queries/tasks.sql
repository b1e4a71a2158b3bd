-- name: TaskInsert :one
-- Returns the row as written (with its defaults), so a create needs no read-back.
INSERT INTO tasks (id, user_id, title, description, status, priority, due_at, due_date,
                   recurrence, series_id, occurrence_index, change_seq)
VALUES (@id, @user_id, @title, @description, @status, @priority, @due_at, @due_date,
        @recurrence, @series_id, @occurrence_index, @change_seq)
RETURNING *;

-- name: TaskGet :one
SELECT * FROM tasks WHERE user_id = @user_id AND id = @id;

-- name: TaskGetForUpdate :one
SELECT * FROM tasks WHERE user_id = @user_id AND id = @id FOR UPDATE;

-- name: TaskGetBySeriesOccurrence :one
SELECT * FROM tasks
WHERE user_id = @user_id AND series_id = @series_id AND occurrence_index = @occurrence_index;

-- name: TaskUpdate :exec
-- Writes every mutable column; the caller has locked the row and bumped the version.
UPDATE tasks
SET title            = @title,
    description      = @description,
    status           = @status,
    priority         = @priority,
    due_at           = @due_at,
    due_date         = @due_date,
    recurrence       = @recurrence,
    series_id        = @series_id,
    occurrence_index = @occurrence_index,
    completed_at     = @completed_at,
    deleted_at       = @deleted_at,
    updated_at       = @updated_at,
    version          = version + 1,
    change_seq       = @change_seq
WHERE user_id = @user_id AND id = @id;

-- name: TaskListByIDs :many
SELECT * FROM tasks WHERE user_id = @user_id AND id = ANY(@ids::uuid[]) ORDER BY id;

-- name: TaskSyncSince :many
SELECT * FROM tasks
WHERE user_id = @user_id AND change_seq > @since
ORDER BY change_seq
LIMIT @max_rows;

-- name: TaskIDsWithTagForUpdate :many
SELECT k.id FROM tasks k
JOIN task_tags tt ON tt.task_id = k.id
WHERE k.user_id = @user_id AND tt.tag_id = @tag_id
ORDER BY k.id
FOR UPDATE OF k;

-- name: TaskTagsForTasks :many
-- The tags of each task, by tag name.
SELECT tt.task_id, tt.tag_id
FROM task_tags tt
JOIN tags g ON g.id = tt.tag_id
WHERE tt.task_id = ANY(@task_ids::uuid[])
ORDER BY tt.task_id, lower(g.name), g.id;

-- name: TaskTagsClear :exec
DELETE FROM task_tags WHERE task_id = @task_id;

-- name: TaskTagsAdd :many
-- Tags the task and returns the tag ids in the order TaskTagsForTasks lists them.
WITH added AS (
    INSERT INTO task_tags (task_id, tag_id)
    SELECT @task_id, unnest(@tag_ids::uuid[])
    RETURNING tag_id
)
SELECT a.tag_id FROM added a JOIN tags g ON g.id = a.tag_id
ORDER BY lower(g.name), g.id;

-- name: RemindersForTasks :many
SELECT * FROM reminders
WHERE task_id = ANY(@task_ids::uuid[])
ORDER BY task_id, position;

-- name: RemindersClear :exec
DELETE FROM reminders WHERE task_id = @task_id;

-- name: ReminderInsert :one
INSERT INTO reminders (id, task_id, user_id, position, at, before_due_seconds, remind_at, fired_at)
VALUES (@id, @task_id, @user_id, @position, @at, @before_due_seconds, @remind_at, @fired_at)
RETURNING *;

-- name: TaskAllDayDates :many
-- The user's all-day tasks and their dates, to recompute deadlines after a time zone
-- change (in Go: PostgreSQL reads names like CET as fixed-offset abbreviations).
SELECT id, due_date FROM tasks WHERE user_id = @user_id AND due_date IS NOT NULL;

-- name: TaskSetDeadlines :exec
UPDATE tasks k SET due_at = v.due_at
FROM (SELECT unnest(@ids::uuid[]) AS id, unnest(@due_ats::timestamptz[]) AS due_at) v
WHERE k.id = v.id AND k.user_id = @user_id;

-- name: ReminderShiftRelative :exec
-- Unfired reminders relative to each task's due now count back from the given anchors.
UPDATE reminders r SET remind_at = v.anchor - make_interval(secs => r.before_due_seconds)
FROM (SELECT unnest(@task_ids::uuid[]) AS task_id, unnest(@anchors::timestamptz[]) AS anchor) v
WHERE r.task_id = v.task_id AND r.user_id = @user_id
  AND r.before_due_seconds IS NOT NULL AND r.fired_at IS NULL;

-- name: TaskSeriesFirst :one
-- The first occurrence of a user's series, and the user's time zone.
SELECT k.due_at, k.due_date, u.time_zone
FROM tasks k JOIN users u ON u.id = k.user_id
WHERE k.user_id = @user_id AND k.series_id = @series_id AND k.occurrence_index = 1;
