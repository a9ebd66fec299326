-- A late or paused doctor: the instant they resume seeing patients (ETAs are never earlier).

ALTER TABLE doctor_days ADD COLUMN resume_at timestamptz;
