-- Customers the reader judged whole (CustomerTyper, src/datasets/stedi.rs: a flat object of known keys,
-- once each, of plain values of their types and ranges, with an email and a lastUpdateDate, in a customer/
-- folder), straight from the stream (judged_lines) into the landing table, before load.sql types the
-- other lines. A record that landed in an earlier load is left out. No two judged lines share a key (a
-- hash of the record): the reader judged only the first line of each it met in a file's order and left
-- the others to SQL (lines::FirstOfKey::Claimed). load.sql then weighs the customers SQL typed against
-- these, so the first occurrence (file, then line) of a record stays whichever side typed it.

-- A judged line's times are in SQL's range (the reader checked them); should one not be after all, the
-- load fails rather than keep a value SQL would have rejected.
CREATE OR REPLACE TEMP MACRO stedi_judged_ms(ms, file_id, line_no) AS
    CASE WHEN ms IS NULL THEN NULL
         WHEN meta.epoch_ms_of(ms) IS NULL
         THEN error('STEDI: the reader judged a customer whose time SQL rejects (file ' || file_id || ', line ' || line_no || ')')
         ELSE epoch_ms(ms) END;

INSERT INTO stedi_landing.customer
SELECT t.* FROM (
    SELECT c_customerName AS customerName, c_email AS email, c_phone AS phone, c_birthDay AS birthDay,
           c_serialNumber AS serialNumber,
           stedi_judged_ms(c_registrationDate, file_id, line_no) AS registrationDate,
           stedi_judged_ms(c_lastUpdateDate, file_id, line_no) AS lastUpdateDate,
           stedi_judged_ms(c_shareWithResearchAsOfDate, file_id, line_no) AS shareWithResearchAsOfDate,
           stedi_judged_ms(c_shareWithPublicAsOfDate, file_id, line_no) AS shareWithPublicAsOfDate,
           stedi_judged_ms(c_shareWithFriendsAsOfDate, file_id, line_no) AS shareWithFriendsAsOfDate,
           file_id, line_no
    FROM judged_lines WHERE judged) t
ANTI JOIN stedi_landing.customer c
    ON c.email = t.email AND c.lastUpdateDate = t.lastUpdateDate
   AND (c.customerName, c.phone, c.birthDay, c.serialNumber, c.registrationDate, c.shareWithResearchAsOfDate,
        c.shareWithPublicAsOfDate, c.shareWithFriendsAsOfDate)
       IS NOT DISTINCT FROM
       (t.customerName, t.phone, t.birthDay, t.serialNumber, t.registrationDate, t.shareWithResearchAsOfDate,
        t.shareWithPublicAsOfDate, t.shareWithFriendsAsOfDate);
