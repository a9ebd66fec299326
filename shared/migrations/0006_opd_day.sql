-- The OPD day in motion: arrivals, calls, consultations, recalls, the doctor's pace and delays.

ALTER TABLE tokens
    ADD COLUMN checked_in_at  timestamptz,
    ADD COLUMN called_at      timestamptz,
    ADD COLUMN completed_at   timestamptz,
    ADD COLUMN recalls        smallint NOT NULL DEFAULT 0 CHECK (recalls >= 0),
    -- Consultation order within the slot: (priority, arrival) unless a recall moved the token back.
    ADD COLUMN queue_priority smallint,
    ADD COLUMN queue_position double precision;
UPDATE tokens SET queue_priority = priority, queue_position = arrival;
ALTER TABLE tokens
    ALTER COLUMN queue_priority SET NOT NULL,
    ALTER COLUMN queue_position SET NOT NULL,
    ADD CONSTRAINT completed_has_time CHECK (status <> 'completed' OR completed_at IS NOT NULL);

-- Measured consultation minutes (moving average), when the doctor has been observed.
ALTER TABLE doctors ADD COLUMN consult_minutes double precision CHECK (consult_minutes > 0);

-- Per doctor and date: how late the doctor runs.
CREATE TABLE doctor_days (
    doctor_id     uuid NOT NULL REFERENCES doctors (id),
    date          date NOT NULL,
    delay_minutes integer NOT NULL DEFAULT 0 CHECK (delay_minutes >= 0),
    delay_reason  text,
    PRIMARY KEY (doctor_id, date)
);
GRANT SELECT ON doctor_days TO opd_reader;

-- A consultation uses its seat: completed tokens keep counting towards the slot's capacity.
CREATE OR REPLACE FUNCTION tokens_count_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('confirmed', 'completed') THEN
        UPDATE slots
           SET regular_count = regular_count - (NOT OLD.is_emergency)::int,
               emergency_count = emergency_count - OLD.is_emergency::int
         WHERE id = OLD.slot_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN ('confirmed', 'completed') THEN
        UPDATE slots
           SET regular_count = regular_count + (NOT NEW.is_emergency)::int,
               emergency_count = emergency_count + NEW.is_emergency::int
         WHERE id = NEW.slot_id;
    END IF;
    RETURN NULL;
END;
$$;
