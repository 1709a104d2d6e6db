-- Rows, distinct sensors and distinct products per department per day.
CREATE OR REPLACE VIEW dwh.daily_summary AS
SELECT CAST(create_at AS DATE)       AS day,
       department_name,
       count(*)                      AS readings,
       count(DISTINCT sensor_serial) AS sensors,
       count(DISTINCT product_name)  AS products
FROM dwh.data_sample
GROUP BY ALL;
