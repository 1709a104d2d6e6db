-- Step-trainer readings the reader judged whole, straight into the landing table, as
-- accelerometer_judged.sql does for the accelerometer's (a flat object with exactly sensorReadingTime,
-- serialNumber and distanceFromObject, of their types and ranges, in a step_trainer/ folder).

INSERT INTO stedi_landing.step_trainer
SELECT t.* FROM (
    SELECT CASE WHEN meta.epoch_ms_of(t_ms) IS NULL
                THEN error('STEDI: the reader judged a reading whose sensorReadingTime SQL rejects (file ' || file_id || ', line ' || line_no || ')')
                ELSE epoch_ms(t_ms) END AS sensorReadingTime,
           t_text AS serialNumber,
           CASE WHEN TRY_CAST(t_int AS INTEGER) IS NULL
                THEN error('STEDI: the reader judged a reading whose distanceFromObject SQL rejects (file ' || file_id || ', line ' || line_no || ')')
                ELSE CAST(t_int AS INTEGER) END AS distanceFromObject,
           file_id, line_no
    FROM judged_lines WHERE judged) t
ANTI JOIN stedi_landing.step_trainer s
    ON s.sensorReadingTime = t.sensorReadingTime AND s.serialNumber = t.serialNumber
   AND s.distanceFromObject = t.distanceFromObject;

DELETE FROM stedi_landing.step_trainer AS s
USING (
    SELECT file_id, line_no FROM (
        SELECT r.source_file_id AS file_id, r.line_number AS line_no,
               row_number() OVER (PARTITION BY r.sensorReadingTime, r.serialNumber, r.distanceFromObject
                                  ORDER BY r.source_file_id, r.line_number) AS nth
        FROM stedi_landing.step_trainer r
        SEMI JOIN judged_repeats j ON r.source_file_id = j.file_id AND r.line_number = j.line_no)
    WHERE nth > 1) AS later
WHERE s.source_file_id = later.file_id AND s.line_number = later.line_no;
