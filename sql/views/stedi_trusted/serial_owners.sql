-- Who owns a serial number: the customers whose latest record names it (consenting or not). The
-- fulfilment website reused some serial numbers across many customers: such a serial is ambiguous, and a
-- step-trainer reading with it cannot be attributed to anyone, so it is never joined to a customer.
CREATE OR REPLACE VIEW stedi_trusted.serial_owners AS
WITH latest AS (
    SELECT lower(email) AS customer, serialNumber
    FROM stedi_landing.customer
    QUALIFY row_number() OVER (PARTITION BY lower(email)
                               ORDER BY lastUpdateDate DESC, source_file_id DESC, line_number DESC) = 1
)
SELECT serialNumber, count(DISTINCT customer) AS customers, min(customer) AS customer,
       count(DISTINCT customer) > 1 AS ambiguous
FROM latest
WHERE serialNumber IS NOT NULL
GROUP BY serialNumber;
