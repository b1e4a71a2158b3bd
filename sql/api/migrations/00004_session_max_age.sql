-- A sign-in (a refresh-token family) ends at a fixed time however often it is refreshed:
-- each token carries the end of its family, copied from the token it replaces, and a
-- rotated token never outlives it. Families that exist already end 90 days (the default
-- limit) after their sign-in.

-- +goose Up
ALTER TABLE refresh_tokens ADD COLUMN session_expires_at timestamptz;
UPDATE refresh_tokens r
SET session_expires_at = f.signed_in_at + interval '90 days'
FROM (SELECT family_id, min(created_at) AS signed_in_at FROM refresh_tokens GROUP BY family_id) f
WHERE r.family_id = f.family_id;
ALTER TABLE refresh_tokens ALTER COLUMN session_expires_at SET NOT NULL;

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN session_expires_at;
