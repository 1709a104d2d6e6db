-- A price file whose first non-blank line is not the expected header is not this layout: abort naming it.
SELECT f.path, 'first line is not the header Date,Open,High,Low,Close,Adj Close,Volume: ' || left(h.first_line, 80)
FROM price_files f
JOIN (SELECT file_id, arg_min(raw, line_no) AS first_line, arg_min(is_header, line_no) AS starts_with_header
      FROM judged_prices GROUP BY file_id) h USING (file_id)
WHERE NOT h.starts_with_header
