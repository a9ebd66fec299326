-- Tracing: the correlation id a command carried (the gateway's request id), kept with its outcome.
-- Events carry it in their body (correlationId).

ALTER TABLE inbox ADD COLUMN correlation_id uuid;
