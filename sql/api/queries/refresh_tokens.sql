-- name: RefreshTokenCreate :exec
INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, session_expires_at)
VALUES (@id, @user_id, @family_id, @token_hash, @expires_at, @session_expires_at);

-- name: RefreshTokenGetForUpdate :one
SELECT * FROM refresh_tokens WHERE token_hash = @token_hash FOR UPDATE;

-- name: RefreshTokenMarkReplaced :exec
UPDATE refresh_tokens SET replaced_at = now() WHERE id = @id;

-- name: RefreshTokenRevokeFamily :exec
UPDATE refresh_tokens SET revoked_at = now()
WHERE family_id = @family_id AND revoked_at IS NULL;

-- name: SessionRevoked :one
-- Whether a session (a refresh-token family) was signed out or revoked for reuse.
SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = @family_id AND revoked_at IS NOT NULL);
