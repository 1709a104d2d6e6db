-- A price file whose first line is not the expected header is not this layout: abort naming it.
SELECT f.path, 'first line is not the header Date,Open,High,Low,Close,Adj Close,Volume: ' || left(l.raw, 80)
FROM price_files f
JOIN staged_lines l ON l.file_id = f.file_id AND l.line_no = (SELECT min(line_no) FROM staged_lines x WHERE x.file_id = f.file_id)
WHERE l.raw <> 'Date,Open,High,Low,Close,Adj Close,Volume'
