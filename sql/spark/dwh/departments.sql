SELECT department_name,
       count(DISTINCT sensor_serial) AS sensors,
       count(*)                      AS readings,
       min(create_at)                AS first_seen,
       max(create_at)                AS last_seen
FROM dwh.data_sample
GROUP BY department_name
