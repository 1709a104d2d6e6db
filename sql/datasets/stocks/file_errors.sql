-- A price file whose first non-blank line is not the expected header is not this layout: abort naming it.
SELECT f.path, 'first line is not the header Date,Open,High,Low,Close,Adj Close,Volume: '
              || coalesce(left(h.first_line, 80), 'line ' || h.first_line_no || ' (its text is in a later block of the file)')
FROM price_files f
JOIN price_file_first_lines h USING (file_id)
WHERE NOT h.starts_with_header
