-- Load mix: a point read of one of this client's keys sees its last write.
\set h random(0, 4)
\set s random(0, 19)
SELECT expect_same(
  (SELECT value FROM kv WHERE hash_key = 'c' || :client_id || '_' || :h AND sort_key = 's' || :s),
  (SELECT v FROM load_state WHERE c = :client_id AND h = :h AND s = :s),
  'point read of c' || :client_id || '_' || :h || '/s' || :s);
