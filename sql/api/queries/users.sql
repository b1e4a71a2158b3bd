-- name: UserCreate :one
INSERT INTO users (id, email, password_hash, display_name, time_zone)
VALUES (@id, lower(@email), @password_hash, @display_name, @time_zone)
RETURNING *;

-- name: UserGet :one
SELECT * FROM users WHERE id = @id;

-- name: UserGetByEmail :one
SELECT * FROM users WHERE lower(email) = lower(@email);

-- name: UserUpdateProfile :one
UPDATE users
SET display_name = coalesce(sqlc.narg(display_name), display_name),
    time_zone    = coalesce(sqlc.narg(time_zone), time_zone),
    updated_at   = now()
WHERE id = @id
RETURNING *;

-- name: UserReserveChangeSeqs :one
-- Hands out the next @n change sequence numbers of the user and returns the last one.
-- The row lock it takes serializes the user's task changes until commit, which keeps the
-- sequence gap-free and in commit order.
UPDATE users SET change_seq = change_seq + @n::bigint WHERE id = @id
RETURNING change_seq, time_zone;

-- name: UserTimeZone :one
SELECT time_zone FROM users WHERE id = @id;

-- name: UserChangeSeq :one
SELECT change_seq FROM users WHERE id = @id;
