-- The notifier's delivery log: one row per (event, channel, recipient), written exactly once.

CREATE TABLE notifications (
    id           bigserial PRIMARY KEY,
    event_id     uuid NOT NULL,
    event_type   text NOT NULL,
    doctor_id    uuid NOT NULL,
    token_id     uuid,
    channel      text NOT NULL,
    recipient    text NOT NULL,
    message      text NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    UNIQUE (event_id, channel, recipient)
);
CREATE INDEX notifications_by_token ON notifications (token_id);
