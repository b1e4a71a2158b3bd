-- The trigram index takes each task as it is written instead of queueing it in a pending
-- list (GIN fastupdate). A search must scan the whole pending list until (auto)vacuum
-- merges it: right after many writes that made a search on 10,000 tasks take 9 ms instead
-- of 1 ms. Task writes are few and small, so paying at write time is the better trade.

-- +goose Up
ALTER INDEX tasks_search_idx SET (fastupdate = off);

-- +goose Down
ALTER INDEX tasks_search_idx RESET (fastupdate);
