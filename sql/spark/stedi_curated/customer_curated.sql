SELECT c.*
FROM stedi_trusted.customer_trusted c
WHERE lower(c.email) IN (SELECT DISTINCT lower(`user`) FROM stedi_trusted.accelerometer_trusted)
