-- Load mix: increment one of this client's keys, logging the new value
-- when the row was there.
\set h random(0, 4)
\set s random(0, 19)
UPDATE kv SET value = value + 1 WHERE hash_key = 'c' || :client_id || '_' || :h AND sort_key = 's' || :s;
INSERT INTO load_log (op, c, h, s, v)
  SELECT 'incr', :client_id, :h, :s, v + 1 FROM live_keys WHERE c = :client_id AND h = :h AND s = :s;
