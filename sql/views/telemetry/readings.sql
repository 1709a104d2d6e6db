-- Stage 2: the typed, cleaned, deduplicated readings. A view, so each of millions of readings is stored
-- once (in readings_raw): the rejected rows and the duplicates are taken out by their provenance, and the
-- spikes (reading_spikes) are flagged, not deleted. Filters on run_uuid reach the raw scan.
CREATE OR REPLACE VIEW telemetry.readings AS
SELECT r.run_uuid,
       CAST(r.robot_id AS UTINYINT)          AS robot_id,
       r.sensor_type,
       r.field,
       r.time,
       r.value,
       s.row_number IS NOT NULL              AS is_spike,
       r.source_file_id,
       r.row_number
FROM telemetry.readings_raw r
ANTI JOIN telemetry.readings_rejected j
    ON j.source_file_id = r.source_file_id AND j.line_number = r.row_number
ANTI JOIN telemetry.readings_duplicate d
    ON d.source_file_id = r.source_file_id AND d.row_number = r.row_number
LEFT JOIN telemetry.reading_spikes s
    ON s.source_file_id = r.source_file_id AND s.row_number = r.row_number;
