-- The rows of the runs to sweep that are not readings (sweep_readings.sql lists all their rows): the
-- rejected ones, and the repeats already recorded as duplicates by earlier loads.
SELECT source_file_id, line_number FROM telemetry.readings_rejected
WHERE getvariable('sweep_every_run')
   OR run_uuid IN (SELECT run_uuid FROM changed_runs UNION SELECT run_uuid FROM touched_runs)
UNION ALL
SELECT source_file_id, row_number FROM telemetry.readings_duplicate
WHERE getvariable('sweep_every_run')
   OR run_uuid IN (SELECT run_uuid FROM changed_runs UNION SELECT run_uuid FROM touched_runs)
