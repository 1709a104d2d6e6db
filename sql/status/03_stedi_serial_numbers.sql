-- STEDI's reused serial numbers: how many step-trainer readings the serial-only join (the source's
-- approach) would attribute to a customer although the serial belongs to several.
SELECT count(*) FILTER (o.ambiguous)                                AS ambiguous_serials,
       (SELECT count(*) FROM stedi_landing.step_trainer s JOIN stedi_trusted.serial_owners o2
          ON o2.serialNumber = s.serialNumber AND o2.ambiguous)     AS readings_with_ambiguous_serial,
       (SELECT count(*) FROM stedi_landing.step_trainer s
          WHERE s.serialNumber IN (SELECT serialNumber FROM stedi_curated.customer_curated)) AS readings_serial_only_join,
       (SELECT count(*) FROM stedi_trusted.step_trainer_trusted)    AS readings_trusted
FROM stedi_trusted.serial_owners o
