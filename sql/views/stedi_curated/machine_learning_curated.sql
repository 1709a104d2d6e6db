-- Curated for machine learning: each trusted step-trainer reading with the same customer's accelerometer
-- reading of the same timestamp. No personal data: no name, email, phone or birthday.
CREATE OR REPLACE VIEW stedi_curated.machine_learning_curated AS
SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, a.x, a.y, a.z
FROM stedi_trusted.step_trainer_trusted s
JOIN stedi_trusted.serial_owners o ON o.serialNumber = s.serialNumber
JOIN stedi_trusted.accelerometer_trusted a
  ON lower(a."user") = o.customer AND a."timestamp" = s.sensorReadingTime;
