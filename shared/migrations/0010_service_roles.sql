-- Least privilege: each writer logs in as its own role and may write only the tables it owns.
-- The allocator owns doctors, slots, tokens and its messaging tables; the notifier owns the delivery log and
-- reads doctors (names and rooms for messages). The gateway reads through opd_reader (0004).

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'opd_allocator') THEN
        CREATE ROLE opd_allocator LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'opd_notifier') THEN
        CREATE ROLE opd_notifier LOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO opd_allocator, opd_notifier;

GRANT SELECT, INSERT, UPDATE, DELETE
    ON doctors, slot_templates, slots, tokens, doctor_days, inbox, outbox, shard_leases
    TO opd_allocator;
GRANT USAGE, SELECT ON SEQUENCE doctor_code_seq, outbox_id_seq TO opd_allocator;

GRANT SELECT, INSERT, UPDATE, DELETE ON notifications, delivery_attempts TO opd_notifier;
GRANT USAGE, SELECT ON SEQUENCE notifications_id_seq, delivery_attempts_id_seq TO opd_notifier;
GRANT SELECT ON doctors TO opd_notifier;
