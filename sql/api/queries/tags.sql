-- name: TagCreate :one
INSERT INTO tags (id, user_id, name, color)
VALUES (@id, @user_id, @name, @color)
RETURNING *;

-- name: TagGet :one
SELECT * FROM tags WHERE user_id = @user_id AND id = @id;

-- name: TagCount :one
SELECT count(*) FROM tags WHERE user_id = @user_id;

-- name: TagListWithCounts :many
SELECT t.*,
       (SELECT count(*)
        FROM task_tags tt
        JOIN tasks k ON k.id = tt.task_id
        WHERE tt.tag_id = t.id AND k.deleted_at IS NULL)::int AS task_count
FROM tags t
WHERE t.user_id = @user_id
ORDER BY lower(t.name), t.id;

-- name: TagUpdate :one
UPDATE tags
SET name       = coalesce(sqlc.narg(name), name),
    color      = coalesce(sqlc.narg(color), color),
    updated_at = now()
WHERE user_id = @user_id AND id = @id
RETURNING *;

-- name: TagDelete :execrows
DELETE FROM tags WHERE user_id = @user_id AND id = @id;

-- name: TagCountOwned :one
-- How many of @ids are tags of the user.
SELECT count(*) FROM tags WHERE user_id = @user_id AND id = ANY(@ids::uuid[]);
