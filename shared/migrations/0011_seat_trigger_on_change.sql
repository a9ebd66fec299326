-- The slots' seat counters change only when a token's status, slot or kind does. The allocator rewrites a token
-- whenever its estimated time moves (most rewrites under load); those no longer run the trigger, which used to
-- update the slot twice (-1, +1) for each of them.
DROP TRIGGER tokens_count_seats ON tokens;

CREATE TRIGGER tokens_count_seats_added_or_removed
    AFTER INSERT OR DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION tokens_count_seats();

CREATE TRIGGER tokens_count_seats
    AFTER UPDATE OF status, slot_id, is_emergency ON tokens
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.slot_id IS DISTINCT FROM NEW.slot_id
          OR OLD.is_emergency IS DISTINCT FROM NEW.is_emergency)
    EXECUTE FUNCTION tokens_count_seats();
