-- STEDI: customer, accelerometer and step-trainer JSON through landing, trusted and curated zones.
-- Landing holds the sources as they arrived, typed, with provenance (every distinct record kept, so
-- a customer's history of consent is kept too). Trusted and curated are views over landing
-- (sql/views/stedi/), so they always reflect the latest consent.
CREATE SCHEMA stedi_landing;
CREATE SCHEMA stedi_trusted;
CREATE SCHEMA stedi_curated;

CREATE TABLE stedi_landing.customer (
    customerName               VARCHAR,
    email                      VARCHAR   NOT NULL,
    phone                      VARCHAR,
    birthDay                   DATE,
    serialNumber               VARCHAR,
    registrationDate           TIMESTAMP,
    lastUpdateDate             TIMESTAMP NOT NULL,
    shareWithResearchAsOfDate  TIMESTAMP,   -- absent or null: no consent to research use
    shareWithPublicAsOfDate    TIMESTAMP,
    shareWithFriendsAsOfDate   TIMESTAMP,
    source_file_id             BIGINT    NOT NULL,
    line_number                BIGINT    NOT NULL
);

CREATE TABLE stedi_landing.accelerometer (
    "user"          VARCHAR   NOT NULL,     -- the customer's email
    "timestamp"     TIMESTAMP NOT NULL,     -- from epoch milliseconds
    x               DOUBLE    NOT NULL,
    y               DOUBLE    NOT NULL,
    z               DOUBLE    NOT NULL,
    source_file_id  BIGINT    NOT NULL,
    line_number     BIGINT    NOT NULL
);

CREATE TABLE stedi_landing.step_trainer (
    sensorReadingTime   TIMESTAMP NOT NULL, -- from epoch milliseconds
    serialNumber        VARCHAR   NOT NULL,
    distanceFromObject  INTEGER   NOT NULL,
    source_file_id      BIGINT    NOT NULL,
    line_number         BIGINT    NOT NULL
);

CREATE TABLE stedi_landing.rejected (
    source_file_id  BIGINT    NOT NULL,
    source_file     VARCHAR   NOT NULL,
    line_number     BIGINT    NOT NULL,
    raw             VARCHAR,
    reason          VARCHAR   NOT NULL,
    rejected_at     TIMESTAMP NOT NULL
);
