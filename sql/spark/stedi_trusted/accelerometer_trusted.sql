SELECT a.`user`, a.`timestamp`, a.x, a.y, a.z
FROM stedi_landing.accelerometer a
WHERE lower(a.`user`) IN (SELECT lower(email) FROM stedi_trusted.customer_trusted)
