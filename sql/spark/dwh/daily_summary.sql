SELECT CAST(create_at AS DATE)       AS day,
       department_name,
       count(*)                      AS readings,
       count(DISTINCT sensor_serial) AS sensors,
       count(DISTINCT product_name)  AS products
FROM dwh.data_sample
GROUP BY CAST(create_at AS DATE), department_name
