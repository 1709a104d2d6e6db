SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, a.x, a.y, a.z
FROM stedi_trusted.step_trainer_trusted s
JOIN stedi_trusted.serial_owners o ON o.serialNumber = s.serialNumber
JOIN stedi_trusted.accelerometer_trusted a
  ON lower(a.`user`) = o.customer AND a.`timestamp` = s.sensorReadingTime
