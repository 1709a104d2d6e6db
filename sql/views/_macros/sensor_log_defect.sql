-- Why a sensor-log row cannot enter dwh.data_sample (NULL when it can): the lengths are enforced, not truncated.
CREATE OR REPLACE MACRO dwh.sensor_log_defect(department_name, sensor_serial, create_at, product_name, product_expire) AS
    CASE
        WHEN department_name IS NULL         THEN 'department_name is missing'
        WHEN length(department_name) > 32    THEN 'department_name is longer than 32 characters'
        WHEN sensor_serial IS NULL           THEN 'sensor_serial is missing'
        WHEN length(sensor_serial) > 64      THEN 'sensor_serial is longer than 64 characters'
        WHEN create_at IS NULL               THEN 'create_at is missing'
        WHEN product_name IS NULL            THEN 'product_name is missing'
        WHEN length(product_name) > 16       THEN 'product_name is longer than 16 characters'
        WHEN product_expire IS NULL          THEN 'product_expire is missing'
    END;
