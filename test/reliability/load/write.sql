-- Load mix: set one of this client's keys, then record the acknowledged
-- write (log row and last known state in one statement).
\set h random(0, 4)
\set s random(0, 19)
\set v random(1, 1000000000)
INSERT INTO kv VALUES ('c' || :client_id || '_' || :h, 's' || :s, :v);
SELECT record_write('insert', :client_id, :h, :s, :v);
