SELECT customerName, email, phone, birthDay, serialNumber, registrationDate, lastUpdateDate,
       shareWithResearchAsOfDate, shareWithPublicAsOfDate, shareWithFriendsAsOfDate
FROM (SELECT *, row_number() OVER (PARTITION BY lower(email)
                                   ORDER BY lastUpdateDate DESC, source_file_id DESC, line_number DESC) AS nth
      FROM stedi_landing.customer)
WHERE nth = 1 AND shareWithResearchAsOfDate IS NOT NULL
