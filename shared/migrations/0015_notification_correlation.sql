-- Tracing: a notification keeps the correlation id of the event that caused it, so every delivery attempt's log
-- line can carry it (the gateway's request id → command → event → delivery).
ALTER TABLE notifications ADD COLUMN correlation_id uuid;
