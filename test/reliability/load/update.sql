-- Load mix: UPDATE one of this client's keys to a new value; the rows it
-- reports updated are recorded in the same statement.  A key that does not
-- exist stays absent.
\set h random(0, 4)
\set s random(0, 19)
\set v random(1, 1000000000)
WITH u AS (UPDATE kv SET value = :v
             WHERE hash_key = 'c' || :client_id || '_' || :h AND sort_key = 's' || :s
             RETURNING value)
SELECT record_write('update', :client_id, :h, :s, value) FROM u;
