-- Load mix: increment one of this client's keys; the new value Pegasus
-- returns must be the last recorded value + 1, and is recorded in the same
-- statement.  A key that does not exist stays absent.
\set h random(0, 4)
\set s random(0, 19)
WITH u AS (UPDATE kv SET value = value + 1
             WHERE hash_key = 'c' || :client_id || '_' || :h AND sort_key = 's' || :s
             RETURNING value)
SELECT expect_same(value, (SELECT v + 1 FROM load_state WHERE c = :client_id AND h = :h AND s = :s),
                   'increment of c' || :client_id || '_' || :h || '/s' || :s),
       record_write('incr', :client_id, :h, :s, value)
  FROM u;
