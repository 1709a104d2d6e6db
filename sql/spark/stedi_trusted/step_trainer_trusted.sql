SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject
FROM stedi_landing.step_trainer s
JOIN stedi_trusted.serial_owners o ON o.serialNumber = s.serialNumber AND NOT o.ambiguous
WHERE o.customer IN (SELECT lower(email) FROM stedi_curated.customer_curated)
