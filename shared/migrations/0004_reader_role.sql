-- The gateway reads through a role that cannot write anything.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'opd_reader') THEN
        CREATE ROLE opd_reader LOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO opd_reader;
GRANT SELECT ON doctors, slot_templates, slots, tokens, inbox, notifications TO opd_reader;
