-- Row counts of every STEDI table in every zone.
SELECT zone, "table", "rows" FROM (
    SELECT 1 AS o, 'landing' AS zone, 'stedi_landing.customer' AS "table", count(*) AS "rows" FROM stedi_landing.customer
    UNION ALL SELECT 2, 'landing', 'stedi_landing.accelerometer', count(*) FROM stedi_landing.accelerometer
    UNION ALL SELECT 3, 'landing', 'stedi_landing.step_trainer', count(*) FROM stedi_landing.step_trainer
    UNION ALL SELECT 4, 'landing', 'stedi_landing.rejected', count(*) FROM stedi_landing.rejected
    UNION ALL SELECT 5, 'trusted', 'stedi_trusted.customer_trusted', count(*) FROM stedi_trusted.customer_trusted
    UNION ALL SELECT 6, 'trusted', 'stedi_trusted.accelerometer_trusted', count(*) FROM stedi_trusted.accelerometer_trusted
    UNION ALL SELECT 7, 'trusted', 'stedi_trusted.step_trainer_trusted', count(*) FROM stedi_trusted.step_trainer_trusted
    UNION ALL SELECT 8, 'curated', 'stedi_curated.customer_curated', count(*) FROM stedi_curated.customer_curated
    UNION ALL SELECT 9, 'curated', 'stedi_curated.machine_learning_curated', count(*) FROM stedi_curated.machine_learning_curated
) ORDER BY o
