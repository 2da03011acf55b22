-- Load mix: delete one of this client's keys and record the deletion in the
-- same statement.
\set h random(0, 4)
\set s random(0, 19)
WITH d AS (DELETE FROM kv WHERE hash_key = 'c' || :client_id || '_' || :h AND sort_key = 's' || :s
             RETURNING 1)
SELECT record_write('delete', :client_id, :h, :s, NULL) FROM d;
