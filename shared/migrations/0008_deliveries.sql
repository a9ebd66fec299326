-- Guaranteed delivery: notifications become a work queue (retries with backoff, dead letters, redrive,
-- coalesced ETA updates) and every attempt is recorded.

ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'delivered', 'failed', 'dead', 'superseded'));

ALTER TABLE notifications
    ADD COLUMN token_number    text,
    ADD COLUMN language        text,
    ADD COLUMN subject         text,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN claimed_by      text,
    ADD COLUMN claimed_until   timestamptz,
    ADD COLUMN attempts_base   integer NOT NULL DEFAULT 0 CHECK (attempts_base >= 0),
    ADD COLUMN superseded_by   bigint REFERENCES notifications (id),
    ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now();

-- The delivery worker's queue: due pending rows, oldest first.
CREATE INDEX notifications_due ON notifications (next_attempt_at, id) WHERE status = 'pending';

CREATE TABLE delivery_attempts (
    id              bigserial PRIMARY KEY,
    notification_id bigint NOT NULL REFERENCES notifications (id),
    attempt         integer NOT NULL CHECK (attempt >= 1),
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL DEFAULT now(),
    outcome         text NOT NULL CHECK (outcome IN ('delivered', 'failed', 'interrupted')),
    error           text,
    UNIQUE (notification_id, attempt)
);

GRANT SELECT ON delivery_attempts TO opd_reader;
