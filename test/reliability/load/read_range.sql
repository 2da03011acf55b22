-- Load mix: a range read of one of this client's hash keys sees exactly the
-- records its writes left there.
\set h random(0, 4)
SELECT expect_same(
  (SELECT count(*) || ' rows, sum ' || coalesce(sum(value), 0) FROM kv
     WHERE hash_key = 'c' || :client_id || '_' || :h AND sort_key >= 's'),
  (SELECT count(v) || ' rows, sum ' || coalesce(sum(v), 0) FROM load_state
     WHERE c = :client_id AND h = :h),
  'range read of c' || :client_id || '_' || :h);
