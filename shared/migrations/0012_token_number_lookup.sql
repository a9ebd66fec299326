-- Tokens are looked up by id or by token number in any case (GET/cancel/no-show by "D1-20261126-T001"). Without
-- this index, `id = $1 OR lower(token_number) = lower($2)` read the whole tokens table for every such request.
CREATE INDEX tokens_by_number_ci ON tokens (lower(token_number));
