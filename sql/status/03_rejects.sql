-- Rejected rows by table and reason (the reason's text up to the first colon).
SELECT rejects_table, split_part(reason, ':', 1) AS reason, count(*) AS "rows"
FROM (
    SELECT 'blog_analysis.votes_rejected' AS rejects_table, reason FROM blog_analysis.votes_rejected
    UNION ALL SELECT 'dwh.data_sample_rejected', reason FROM dwh.data_sample_rejected
    UNION ALL SELECT 'market.prices_rejected', reason FROM market.prices_rejected
    UNION ALL SELECT 'stedi_landing.rejected', reason FROM stedi_landing.rejected
    UNION ALL SELECT 'telemetry.readings_rejected', reason FROM telemetry.readings_rejected
)
GROUP BY ALL
ORDER BY 1, 3 DESC, 2
