-- A first stocks load (market.prices empty): the lines the reader judged whole (PriceTyper,
-- src/datasets/stocks.rs: seven plain values, a day within the plausible years) go straight from the
-- stream (judged_lines) into market.prices, with their file and line, before load.sql types the other
-- lines. No two judged lines of a file share a day: the reader judged only the first line of each
-- (file, day) in the file's order and left the others to SQL (lines::stream_judged_lines), as it left
-- every file's first line, the header. load.sql then weighs the lines SQL typed, and the days of a
-- symbol named by two files (etfs/X.csv and stocks/X.csv), against these rows: a row that loses is
-- deleted there (rare: DuckDB writes the table again at commit once a transaction deleted a row).

-- (DuckDB keeps the order the batches arrive in, each of a file's lines in order: the rolling features
-- then read and write each symbol's rows close together. Without it the load took 32.7 s against 26.0 s,
-- the features' insert 10.7 s against 6.0 s.)

-- A judged line's day is in SQL's years (the reader checked it); should one not be after all, the load
-- fails rather than keep a value SQL would have rejected.
INSERT INTO market.prices (Symbol, "Security Name", Date, Open, High, Low, Close, "Adj Close", Volume, is_etf,
                           source_file_id, line_number)
SELECT f.Symbol, m."Security Name",
       CASE WHEN meta.plausible_year(l.t_date) THEN l.t_date
            ELSE error('stocks: the reader judged a line whose day SQL rejects (file ' || l.file_id || ', line ' || l.line_no || ')') END,
       l.t_open, l.t_high, l.t_low, l.t_close, l.t_adj_close, l.t_volume, coalesce(f.is_etf, m.is_etf, false),
       l.file_id, l.line_no
FROM judged_lines l
JOIN (SELECT file_id, meta.price_symbol(path) AS Symbol, meta.price_folder_is_etf(path) AS is_etf
      FROM staged_files) f USING (file_id)
LEFT JOIN market.symbols m USING (Symbol)
WHERE l.judged;
