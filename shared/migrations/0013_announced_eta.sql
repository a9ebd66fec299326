-- The ETA the last event about a token carried: what the patient was told. On the day of the visit, ETA notices
-- compare with it, so small moves are told once they add up (D33); before, each move was compared with the one
-- before it, and a queue could slide by many small steps without a word. Tokens booked before this knew no better
-- baseline than their current ETA.
ALTER TABLE tokens ADD COLUMN announced_eta timestamptz;
UPDATE tokens SET announced_eta = estimated_time WHERE estimated_time IS NOT NULL;
