-- Trusted: every accelerometer reading of a consenting customer. Consent applies per customer, not per
-- reading time (as the source does): readings from before the consent date are included.
CREATE OR REPLACE VIEW stedi_trusted.accelerometer_trusted AS
SELECT a."user", a."timestamp", a.x, a.y, a.z
FROM stedi_landing.accelerometer a
WHERE lower(a."user") IN (SELECT lower(email) FROM stedi_trusted.customer_trusted);
