-- Load mix: increment one of this client's keys (an absent key stays
-- absent), recording the new value when the row was there.
\set h random(0, 4)
\set s random(0, 19)
UPDATE kv SET value = value + 1 WHERE hash_key = 'c' || :client_id || '_' || :h AND sort_key = 's' || :s;
SELECT record_write('incr', c, h, s, v + 1) FROM load_state
  WHERE c = :client_id AND h = :h AND s = :s AND v IS NOT NULL;
