-- Load mix: UPDATE one of this client's keys to a new value (a key that
-- does not exist stays absent), recorded when the row was there.
\set h random(0, 4)
\set s random(0, 19)
\set v random(1, 1000000000)
UPDATE kv SET value = :v WHERE hash_key = 'c' || :client_id || '_' || :h AND sort_key = 's' || :s;
SELECT record_write('update', c, h, s, :v) FROM load_state
  WHERE c = :client_id AND h = :h AND s = :s AND v IS NOT NULL;
