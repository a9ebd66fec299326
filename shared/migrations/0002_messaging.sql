-- Exactly-once processing and reliable publishing: inbox, outbox, shard leases (fencing).

CREATE TABLE inbox (
    command_id   uuid PRIMARY KEY,
    command_type text NOT NULL,
    payload_hash text NOT NULL,
    shard        integer NOT NULL,
    epoch        bigint NOT NULL,
    ok           boolean NOT NULL,
    reply        jsonb NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    event_id     uuid NOT NULL UNIQUE,
    routing_key  text NOT NULL,
    doctor_id    uuid NOT NULL,
    sequence     bigint NOT NULL,
    body         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    UNIQUE (doctor_id, sequence)
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE shard_leases (
    shard        integer PRIMARY KEY CHECK (shard >= 0),
    epoch        bigint NOT NULL DEFAULT 0 CHECK (epoch >= 0),
    holder       text,
    acquired_at  timestamptz,
    heartbeat_at timestamptz
);
