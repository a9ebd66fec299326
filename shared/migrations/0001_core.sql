-- Core schema: doctors, their weekly slot templates, dated slots, tokens.
-- The allocator is the only writer; constraints are the last line of defence for DESIGN §4.

CREATE SEQUENCE doctor_code_seq;

CREATE TABLE doctors (
    id             uuid PRIMARY KEY,
    code           text NOT NULL UNIQUE,
    name           text NOT NULL CHECK (btrim(name) <> ''),
    specialization text NOT NULL CHECK (btrim(specialization) <> ''),
    room           text,
    working_days   text[] NOT NULL CHECK (cardinality(working_days) BETWEEN 1 AND 7),
    event_sequence bigint NOT NULL DEFAULT 0 CHECK (event_sequence >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX doctors_specialization ON doctors (lower(specialization));

CREATE TABLE slot_templates (
    doctor_id          uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    start_time         time NOT NULL,
    end_time           time NOT NULL,
    max_capacity       integer NOT NULL CHECK (max_capacity > 0),
    reserved_emergency integer NOT NULL CHECK (reserved_emergency >= 0),
    PRIMARY KEY (doctor_id, start_time),
    CHECK (end_time > start_time),
    CHECK (reserved_emergency < max_capacity)
);

CREATE TABLE slots (
    id                 uuid PRIMARY KEY,
    doctor_id          uuid NOT NULL REFERENCES doctors (id),
    date               date NOT NULL,
    start_time         time NOT NULL,
    end_time           time NOT NULL,
    max_capacity       integer NOT NULL CHECK (max_capacity > 0),
    reserved_emergency integer NOT NULL CHECK (reserved_emergency >= 0 AND reserved_emergency < max_capacity),
    status             text NOT NULL CHECK (status IN ('available', 'full', 'completed', 'cancelled')),
    -- Maintained by the trigger below from the tokens themselves, so the checks hold whatever the writer does.
    regular_count      integer NOT NULL DEFAULT 0 CHECK (regular_count >= 0),
    emergency_count    integer NOT NULL DEFAULT 0 CHECK (emergency_count >= 0),
    UNIQUE (doctor_id, date, start_time),
    CHECK (end_time > start_time),
    CHECK (regular_count <= max_capacity),
    CONSTRAINT seats_within_capacity_plus_one CHECK (regular_count + emergency_count <= max_capacity + 1)
);

CREATE TABLE tokens (
    id              uuid PRIMARY KEY,
    token_number    text NOT NULL UNIQUE,
    short_number    text NOT NULL,
    doctor_id       uuid NOT NULL REFERENCES doctors (id),
    slot_id         uuid NOT NULL REFERENCES slots (id),
    date            date NOT NULL,
    patient_name    text NOT NULL,
    patient_age     integer NOT NULL CHECK (patient_age BETWEEN 0 AND 130),
    patient_id      text,
    phone           text,
    email           text,
    language        text CHECK (language IN ('en', 'hi')),
    patient_key     text NOT NULL,
    source          text NOT NULL CHECK (source IN ('emergency', 'priority', 'followup', 'online', 'walkin')),
    priority        smallint NOT NULL CHECK (priority BETWEEN 1 AND 5),
    status          text NOT NULL CHECK (status IN ('pending', 'confirmed', 'completed', 'cancelled', 'no_show')),
    is_emergency    boolean NOT NULL,
    overflow        boolean NOT NULL DEFAULT false,
    arrival         integer NOT NULL CHECK (arrival > 0),
    estimated_time  timestamptz,
    status_reason   text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (doctor_id, date, short_number),
    UNIQUE (doctor_id, date, arrival),
    CHECK (is_emergency = (source = 'emergency')),
    CHECK (NOT overflow OR is_emergency)
);
-- One active token per patient per doctor per date.
CREATE UNIQUE INDEX tokens_one_active_per_patient
    ON tokens (doctor_id, date, patient_key) WHERE status IN ('pending', 'confirmed');
CREATE INDEX tokens_by_slot ON tokens (slot_id);
CREATE INDEX tokens_by_doctor_day ON tokens (doctor_id, date);

CREATE FUNCTION tokens_count_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'confirmed' THEN
        UPDATE slots
           SET regular_count = regular_count - (NOT OLD.is_emergency)::int,
               emergency_count = emergency_count - OLD.is_emergency::int
         WHERE id = OLD.slot_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'confirmed' THEN
        UPDATE slots
           SET regular_count = regular_count + (NOT NEW.is_emergency)::int,
               emergency_count = emergency_count + NEW.is_emergency::int
         WHERE id = NEW.slot_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tokens_count_seats
    AFTER INSERT OR DELETE OR UPDATE OF status, slot_id, is_emergency ON tokens
    FOR EACH ROW EXECUTE FUNCTION tokens_count_seats();
