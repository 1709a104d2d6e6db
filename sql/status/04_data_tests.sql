-- The last result of each data test (sql/tests/), failures first, and since when it has had that status.
WITH ranked AS (
    SELECT *, row_number() OVER (PARTITION BY test ORDER BY checked_at DESC) AS nth,
           lag(status) OVER (PARTITION BY test ORDER BY checked_at) <> status AS changed
    FROM meta.test_results
),
since AS (
    SELECT test, max(checked_at) FILTER (changed OR changed IS NULL) AS status_since FROM ranked GROUP BY test
)
SELECT r.test, r.status, r.failing_rows, strftime(r.checked_at, '%Y-%m-%d %H:%M:%S') AS checked_at,
       strftime(s.status_since, '%Y-%m-%d %H:%M:%S') AS status_since, r.load_run_id, r.message
FROM ranked r JOIN since s USING (test)
WHERE r.nth = 1
ORDER BY CASE r.status WHEN 'error' THEN 0 WHEN 'fail' THEN 1 WHEN 'warn' THEN 2 ELSE 3 END, r.test
