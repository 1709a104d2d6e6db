-- Why a sensor-log row cannot enter dwh.data_sample (NULL when it can): the lengths are enforced, not truncated,
-- and a time outside the plausible years (a clock at year 0, 'infinity') is a mistake in the data, as elsewhere.
-- (A file whose times are text, or nanoseconds, is judged on meta.timestamp_of, which the INSERT stores.)
CREATE OR REPLACE MACRO dwh.sensor_log_defect(department_name, sensor_serial, create_at, product_name, product_expire) AS
    CASE
        WHEN department_name IS NULL         THEN 'department_name is missing'
        WHEN length(department_name) > 32    THEN 'department_name is longer than 32 characters'
        WHEN sensor_serial IS NULL           THEN 'sensor_serial is missing'
        WHEN length(sensor_serial) > 64      THEN 'sensor_serial is longer than 64 characters'
        WHEN create_at IS NULL               THEN 'create_at is missing'
        WHEN meta.timestamp_of(create_at) IS NULL THEN 'create_at ' || meta.timestamp_problem(create_at) || ': ' || create_at
        WHEN NOT meta.plausible_year(meta.timestamp_of(create_at))
            THEN 'create_at is outside the years ' || meta.plausible_years() || ': ' || create_at
        WHEN product_name IS NULL            THEN 'product_name is missing'
        WHEN length(product_name) > 16       THEN 'product_name is longer than 16 characters'
        WHEN product_expire IS NULL          THEN 'product_expire is missing'
        WHEN meta.timestamp_of(product_expire) IS NULL THEN 'product_expire ' || meta.timestamp_problem(product_expire) || ': ' || product_expire
        WHEN NOT meta.plausible_year(meta.timestamp_of(product_expire))
            THEN 'product_expire is outside the years ' || meta.plausible_years() || ': ' || product_expire
    END;
