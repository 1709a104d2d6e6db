WITH latest AS (
    SELECT customer, serialNumber
    FROM (SELECT lower(email) AS customer, serialNumber,
                 row_number() OVER (PARTITION BY lower(email)
                                    ORDER BY lastUpdateDate DESC, source_file_id DESC, line_number DESC) AS nth
          FROM stedi_landing.customer)
    WHERE nth = 1
)
SELECT serialNumber, count(DISTINCT customer) AS customers, min(customer) AS customer,
       count(DISTINCT customer) > 1 AS ambiguous
FROM latest
WHERE serialNumber IS NOT NULL
GROUP BY serialNumber
