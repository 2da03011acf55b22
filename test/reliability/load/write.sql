-- Load mix: set one of this client's keys and record the acknowledged
-- write in the same statement (log row and last value of the key).
\set h random(0, 4)
\set s random(0, 19)
\set v random(1, 1000000000)
WITH w AS (INSERT INTO kv VALUES ('c' || :client_id || '_' || :h, 's' || :s, :v) RETURNING value)
SELECT record_write('insert', :client_id, :h, :s, value) FROM w;
