-- Load mix: delete one of this client's keys and log the deletion.
\set h random(0, 4)
\set s random(0, 19)
DELETE FROM kv WHERE hash_key = 'c' || :client_id || '_' || :h AND sort_key = 's' || :s;
INSERT INTO load_log (op, c, h, s, v) VALUES ('delete', :client_id, :h, :s, NULL);
