SELECT * FROM telemetry.run_statistics ORDER BY start_time, run_uuid
