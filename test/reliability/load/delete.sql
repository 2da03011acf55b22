-- Load mix: delete one of this client's keys and record the deletion.
\set h random(0, 4)
\set s random(0, 19)
DELETE FROM kv WHERE hash_key = 'c' || :client_id || '_' || :h AND sort_key = 's' || :s;
SELECT record_write('delete', :client_id, :h, :s, NULL);
