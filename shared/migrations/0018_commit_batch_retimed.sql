-- opd_commit_batch (0017) with the tokens whose estimated time alone moved, written as (id, ETA, updated at).
--
-- Most token writes under load are ETA moves: a paid-priority or follow-up booking, a cancellation or a doctor's
-- delay moves the ETA of every patient behind it, and each of those tokens was sent whole (thirty columns in JSON,
-- parsed and upserted). They now come as three arrays, in binary, and one UPDATE by primary key sets the two
-- columns (a HOT update: neither is indexed). A token changed otherwise in the same batch is sent whole, as
-- before. What the function writes otherwise, returns and raises is unchanged.
--
-- The new UPDATE joins the arrays to tokens. Its plan is made once per session, perhaps while tokens is nearly
-- empty, when reading tokens whole by its primary key looks cheapest; the join condition is therefore repeated as
-- "id = ANY (the ids)", so that whatever join the plan makes, tokens is read only at those ids.
--
-- A new overload: the function of 0017 stays for an allocator still running the code before this one (migrations
-- run before the services restart), so that its batches keep committing until it is replaced.

CREATE FUNCTION opd_commit_batch(
    p_shard integer,
    p_epoch bigint,
    p_command_ids uuid[],
    p_published uuid[],
    p_doctors jsonb,
    p_days jsonb,
    p_template_doctors uuid[],
    p_templates jsonb,
    p_slots jsonb,
    p_tokens jsonb,
    p_retimed uuid[],
    p_retimed_etas timestamptz[],
    p_retimed_at timestamptz[],
    p_inbox jsonb,
    p_outbox jsonb
) RETURNS jsonb
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
DECLARE
    v_stored jsonb;
BEGIN
    UPDATE shard_leases SET heartbeat_at = now() WHERE shard = p_shard AND epoch = p_epoch;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'shard %: epoch % is no longer current', p_shard, p_epoch USING ERRCODE = 'OPDFN';
    END IF;

    SELECT jsonb_agg(jsonb_build_object(
               'command_id', command_id, 'payload_hash', payload_hash, 'reply', reply, 'issuer', issuer))
      INTO v_stored
      FROM inbox WHERE command_id = ANY (p_command_ids);
    IF v_stored IS NOT NULL THEN
        RETURN v_stored;
    END IF;

    IF cardinality(p_published) > 0 THEN
        -- By event id alone: with "published_at IS NULL" in the condition, the kept plan read the partial index of
        -- unpublished rows whole (all of them, after a broker outage). A row marked already keeps its time.
        UPDATE outbox SET published_at = coalesce(published_at, now()) WHERE event_id = ANY (p_published);
    END IF;

    IF jsonb_array_length(p_doctors) > 0 THEN
        INSERT INTO doctors (id, code, name, specialization, room, working_days, event_sequence, consult_minutes)
        SELECT id, code, name, specialization, room, working_days, event_sequence, consult_minutes
          FROM jsonb_populate_recordset(NULL::doctors, p_doctors)
        ON CONFLICT (id) DO UPDATE SET
            name = EXCLUDED.name, specialization = EXCLUDED.specialization, room = EXCLUDED.room,
            working_days = EXCLUDED.working_days, event_sequence = EXCLUDED.event_sequence,
            consult_minutes = EXCLUDED.consult_minutes, updated_at = now();
    END IF;

    IF jsonb_array_length(p_days) > 0 THEN
        INSERT INTO doctor_days (doctor_id, date, delay_minutes, delay_reason, resume_at)
        SELECT doctor_id, date, delay_minutes, delay_reason, resume_at
          FROM jsonb_populate_recordset(NULL::doctor_days, p_days)
        ON CONFLICT (doctor_id, date) DO UPDATE SET
            delay_minutes = EXCLUDED.delay_minutes, delay_reason = EXCLUDED.delay_reason,
            resume_at = EXCLUDED.resume_at;
    END IF;

    IF cardinality(p_template_doctors) > 0 THEN
        DELETE FROM slot_templates WHERE doctor_id = ANY (p_template_doctors);
    END IF;
    IF jsonb_array_length(p_templates) > 0 THEN
        INSERT INTO slot_templates (doctor_id, start_time, end_time, max_capacity, reserved_emergency, quotas)
        SELECT doctor_id, start_time, end_time, max_capacity, reserved_emergency, quotas
          FROM jsonb_populate_recordset(NULL::slot_templates, p_templates);
    END IF;

    IF jsonb_array_length(p_slots) > 0 THEN
        -- Written with max(old, new) capacity, so that the seat checks hold while displaced tokens leave the slot.
        INSERT INTO slots (id, doctor_id, date, start_time, end_time, max_capacity, reserved_emergency, status, quotas,
                           status_reason)
        SELECT id, doctor_id, date, start_time, end_time, max_capacity, reserved_emergency, status, quotas,
               status_reason
          FROM jsonb_populate_recordset(NULL::slots, p_slots)
        ON CONFLICT (id) DO UPDATE SET
            end_time = EXCLUDED.end_time, max_capacity = GREATEST(EXCLUDED.max_capacity, slots.max_capacity),
            reserved_emergency = EXCLUDED.reserved_emergency, status = EXCLUDED.status, quotas = EXCLUDED.quotas,
            status_reason = EXCLUDED.status_reason;
    END IF;

    IF jsonb_array_length(p_tokens) > 0 THEN
        INSERT INTO tokens (id, token_number, short_number, doctor_id, slot_id, date, patient_name, patient_age,
                            patient_id, phone, email, language, patient_key, source, priority, status, is_emergency,
                            overflow, arrival, estimated_time, announced_eta, status_reason, created_at, updated_at,
                            checked_in_at, called_at, completed_at, recalls, queue_priority, queue_position)
        SELECT id, token_number, short_number, doctor_id, slot_id, date, patient_name, patient_age, patient_id, phone,
               email, language, patient_key, source, priority, status, is_emergency, overflow, arrival, estimated_time,
               announced_eta, status_reason, created_at, updated_at, checked_in_at, called_at, completed_at, recalls,
               queue_priority, queue_position
          FROM jsonb_populate_recordset(NULL::tokens, p_tokens) WITH ORDINALITY AS t
         ORDER BY t.ordinality
        ON CONFLICT (id) DO UPDATE SET
            slot_id = EXCLUDED.slot_id, status = EXCLUDED.status, overflow = EXCLUDED.overflow,
            estimated_time = EXCLUDED.estimated_time, announced_eta = EXCLUDED.announced_eta,
            status_reason = EXCLUDED.status_reason, updated_at = EXCLUDED.updated_at,
            checked_in_at = EXCLUDED.checked_in_at, called_at = EXCLUDED.called_at,
            completed_at = EXCLUDED.completed_at, recalls = EXCLUDED.recalls,
            queue_priority = EXCLUDED.queue_priority, queue_position = EXCLUDED.queue_position;
    END IF;

    IF cardinality(p_retimed) > 0 THEN
        UPDATE tokens SET estimated_time = r.eta, updated_at = r.at
          FROM unnest(p_retimed, p_retimed_etas, p_retimed_at) AS r(id, eta, at)
         WHERE tokens.id = r.id AND tokens.id = ANY (p_retimed);
    END IF;

    -- Then each slot's own capacity (a cut takes effect once the displaced tokens have left).
    IF jsonb_array_length(p_slots) > 0 THEN
        INSERT INTO slots (id, doctor_id, date, start_time, end_time, max_capacity, reserved_emergency, status,
                           quotas, status_reason)
        SELECT id, doctor_id, date, start_time, end_time, max_capacity, reserved_emergency, status, quotas,
               status_reason
          FROM jsonb_populate_recordset(NULL::slots, p_slots)
        ON CONFLICT (id) DO UPDATE SET max_capacity = EXCLUDED.max_capacity
         WHERE slots.max_capacity <> EXCLUDED.max_capacity;
    END IF;

    INSERT INTO inbox (command_id, command_type, payload_hash, shard, epoch, ok, reply, correlation_id, issuer)
    SELECT command_id, command_type, payload_hash, p_shard, p_epoch, ok, reply, correlation_id, issuer
      FROM jsonb_populate_recordset(NULL::inbox, p_inbox);

    INSERT INTO outbox (event_id, routing_key, doctor_id, sequence, body)
    SELECT event_id, routing_key, doctor_id, sequence, body
      FROM jsonb_populate_recordset(NULL::outbox, p_outbox) WITH ORDINALITY AS e
     ORDER BY e.ordinality;

    RETURN NULL;
END
$$;

REVOKE EXECUTE ON FUNCTION opd_commit_batch(integer, bigint, uuid[], uuid[], jsonb, jsonb, uuid[], jsonb, jsonb, jsonb,
    uuid[], timestamptz[], timestamptz[], jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION opd_commit_batch(integer, bigint, uuid[], uuid[], jsonb, jsonb, uuid[], jsonb, jsonb, jsonb,
    uuid[], timestamptz[], timestamptz[], jsonb, jsonb) TO opd_allocator;
