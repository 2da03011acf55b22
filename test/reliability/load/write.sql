-- Load mix: set one of this client's keys, then log the acknowledged write.
\set h random(0, 4)
\set s random(0, 19)
\set v random(1, 1000000000)
INSERT INTO kv VALUES ('c' || :client_id || '_' || :h, 's' || :s, :v);
INSERT INTO load_log (op, c, h, s, v) VALUES ('insert', :client_id, :h, :s, :v);
