-- The sweep's input (src/telemetry/sweep.rs): every valid reading of the runs to derive or to check for
-- repeats that is not already known as a duplicate, in any order. series numbers the 12 columns of readings_wide from 0:
-- fx_1 = 0, fx_2 = 1, fy_1 = 2, ..., z_2 = 11 (robot 1 even, robot 2 odd; encoder from 6).
SELECT r.run_uuid,
       CAST(r.robot_id - 1 + CASE r.field WHEN 'fx' THEN 0 WHEN 'fy' THEN 2 WHEN 'fz' THEN 4
                                          WHEN 'x' THEN 6 WHEN 'y' THEN 8 ELSE 10 END AS UTINYINT) AS series,
       epoch_us(r.time) AS time_us,
       r.value,
       r.source_file_id,
       r.row_number
FROM telemetry.readings_raw r
ANTI JOIN telemetry.readings_rejected j ON j.source_file_id = r.source_file_id AND j.line_number = r.row_number
ANTI JOIN telemetry.readings_duplicate d ON d.source_file_id = r.source_file_id AND d.row_number = r.row_number
WHERE r.run_uuid IN (SELECT run_uuid FROM changed_runs UNION SELECT run_uuid FROM touched_runs)
