SELECT sensor_serial, department_name,
       count(*)       AS readings,
       min(create_at) AS first_seen,
       max(create_at) AS last_seen
FROM dwh.data_sample
GROUP BY sensor_serial, department_name
