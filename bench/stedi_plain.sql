-- STEDI landing to curated in plain DuckDB: the reference bench/stedi.sh times `exercise ingest-data` +
-- `exercise stedi` against. Run in a fresh database with the data folder set first
-- (SET VARIABLE data = '<folder>'; bench/stedi.sh prepends it).
-- The same work as ours, written the usual way: each source read once with read_json into typed columns,
-- exact duplicate records dropped, then every trusted and curated zone materialised as a table with the
-- rules of sql/views/stedi_trusted and sql/views/stedi_curated (emails matched case-insensitively,
-- latest record per customer by lastUpdateDate, consent from that record). Not done here (ours does):
-- rejecting malformed lines one by one (a bad line makes read_json fail), provenance (file, line) and
-- the data tests.

-- Landing: typed, exact duplicates dropped. Epoch milliseconds become TIMESTAMPs, as ours.
CREATE TABLE customer AS
SELECT DISTINCT customerName, email, phone, birthDay, serialNumber,
       epoch_ms(registrationDate) AS registrationDate, epoch_ms(lastUpdateDate) AS lastUpdateDate,
       epoch_ms(shareWithResearchAsOfDate) AS shareWithResearchAsOfDate,
       epoch_ms(shareWithPublicAsOfDate) AS shareWithPublicAsOfDate,
       epoch_ms(shareWithFriendsAsOfDate) AS shareWithFriendsAsOfDate
FROM read_json(getvariable('data') || '/customer/**/*.json', format = 'newline_delimited',
               columns = {customerName: 'VARCHAR', email: 'VARCHAR', phone: 'VARCHAR', birthDay: 'DATE',
                          serialNumber: 'VARCHAR', registrationDate: 'BIGINT', lastUpdateDate: 'BIGINT',
                          shareWithResearchAsOfDate: 'BIGINT', shareWithPublicAsOfDate: 'BIGINT',
                          shareWithFriendsAsOfDate: 'BIGINT'});

CREATE TABLE accelerometer AS
SELECT DISTINCT "user", epoch_ms("timestamp") AS "timestamp", x, y, z
FROM read_json(getvariable('data') || '/accelerometer/**/*.json', format = 'newline_delimited',
               columns = {"user": 'VARCHAR', "timestamp": 'BIGINT', x: 'DOUBLE', y: 'DOUBLE', z: 'DOUBLE'});

CREATE TABLE step_trainer AS
SELECT DISTINCT epoch_ms(sensorReadingTime) AS sensorReadingTime, serialNumber, distanceFromObject
FROM read_json(getvariable('data') || '/step_trainer/**/*.json', format = 'newline_delimited',
               columns = {sensorReadingTime: 'BIGINT', serialNumber: 'VARCHAR', distanceFromObject: 'INTEGER'});

-- Each customer's latest record (consenting or not): consent and serial number are read from it.
CREATE TABLE customer_latest AS
SELECT * FROM customer
QUALIFY row_number() OVER (PARTITION BY lower(email) ORDER BY lastUpdateDate DESC) = 1;

-- Trusted: customers whose latest record consents to research; all readings of those customers.
CREATE TABLE customer_trusted AS
SELECT * FROM customer_latest WHERE shareWithResearchAsOfDate IS NOT NULL;

CREATE TABLE accelerometer_trusted AS
SELECT a.* FROM accelerometer a
WHERE lower(a."user") IN (SELECT lower(email) FROM customer_trusted);

-- Curated: trusted customers with accelerometer data.
CREATE TABLE customer_curated AS
SELECT c.* FROM customer_trusted c
WHERE lower(c.email) IN (SELECT lower("user") FROM accelerometer_trusted);

-- A serial number belongs to a customer only when exactly one customer's latest record names it (the
-- fulfilment website reused some); step-trainer readings of curated customers' serials only.
CREATE TABLE serial_owners AS
SELECT serialNumber, min(lower(email)) AS customer
FROM customer_latest
WHERE serialNumber IS NOT NULL
GROUP BY serialNumber
HAVING count(DISTINCT lower(email)) = 1;

CREATE TABLE step_trainer_trusted AS
SELECT s.* FROM step_trainer s
JOIN serial_owners o USING (serialNumber)
WHERE o.customer IN (SELECT lower(email) FROM customer_curated);

-- Curated for machine learning: each trusted step-trainer reading with its owner's accelerometer reading
-- of the same timestamp.
CREATE TABLE machine_learning_curated AS
SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, a.x, a.y, a.z
FROM step_trainer_trusted s
JOIN serial_owners o USING (serialNumber)
JOIN accelerometer_trusted a ON lower(a."user") = o.customer AND a."timestamp" = s.sensorReadingTime;
