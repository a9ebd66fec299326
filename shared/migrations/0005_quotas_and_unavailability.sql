-- Per-source quotas on slot templates and dated slots; why a dated slot was cancelled.

ALTER TABLE slot_templates ADD COLUMN quotas jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE slots ADD COLUMN quotas jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE slots ADD COLUMN status_reason text;
