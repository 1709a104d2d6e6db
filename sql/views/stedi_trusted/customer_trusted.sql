-- Trusted: each customer (by email, case-insensitive) as their latest record states them, kept only when
-- that record carries shareWithResearchAsOfDate. A newer record without it withdraws consent: the
-- customer leaves trusted and curated on the next load. Holds PII: needed to match the app's readings.
CREATE OR REPLACE VIEW stedi_trusted.customer_trusted AS
SELECT customerName, email, phone, birthDay, serialNumber, registrationDate, lastUpdateDate,
       shareWithResearchAsOfDate, shareWithPublicAsOfDate, shareWithFriendsAsOfDate
FROM stedi_landing.customer
QUALIFY row_number() OVER (PARTITION BY lower(email)
                           ORDER BY lastUpdateDate DESC, source_file_id DESC, line_number DESC) = 1
    AND shareWithResearchAsOfDate IS NOT NULL;
