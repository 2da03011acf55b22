-- Load mix: a full scan of the table while the others write (values are
-- positive, so it finds nothing).
SELECT expect_same((SELECT count(*) FROM kv WHERE value <= 0), 0::bigint, 'full scan');
