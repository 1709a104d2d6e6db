-- Stock prices: incoming_lines of etfs/*.csv and stocks/*.csv -> market.prices (+ rejects), then
-- market.features recomputed for the symbols that gained rows. The symbol is the file name.
-- In a first load (market.prices empty) most lines are not here: those the reader judged whole went
-- straight into market.prices first (prices_judged.sql), and incoming_lines holds the lines it left (the
-- header, lines less plain, later lines of a day), with their text while the reader could keep it
-- (else read again by number, the typed ones without it). Otherwise incoming_lines holds every
-- line, read once, as the files are read. judged_prices keeps the text of each line the reader did not
-- type in full (src/datasets/stocks.rs: a typed line within the plausible years comes without it); a
-- typed line rejected as a conflicting repeat, or a row read straight that loses its day, gets its text
-- from the file afterwards (ingest::load::recover_texts).

CREATE OR REPLACE TEMP TABLE price_files AS
SELECT file_id, path, meta.price_symbol(path) AS Symbol, meta.price_folder_is_etf(path) AS is_etf
FROM staged_files
WHERE NOT regexp_matches(path, '(^|[/\\])symbols_valid_meta\.csv$');

-- Every line typed and judged (materialized once: several steps below read it). Header lines are not
-- rows: they are kept (for the header check) but neither loaded nor counted.
CREATE OR REPLACE TEMP TABLE judged_prices AS
WITH fields AS (
    -- A plain line arrives typed (t_ columns: lines::LineTyper, src/datasets/stocks.rs); only the other
    -- lines are split here, once each, not with seven split_part calls (BENCHMARKS.md, stocks).
    SELECT l.file_id, l.line_no, l.defect, l.raw, f.Symbol, f.is_etf,
           l.t_date IS NOT NULL AS typed,
           coalesce(l.raw = 'Date,Open,High,Low,Close,Adj Close,Volume', false) AS is_header,
           CASE WHEN NOT typed THEN string_split(l.raw, ',') END AS v,
           l.t_date, l.t_open, l.t_high, l.t_low, l.t_close, l.t_adj_close, l.t_volume
    FROM incoming_lines l JOIN price_files f USING (file_id)
),
typed AS (
    SELECT *,
           len(v)                                                          AS n_fields,
           v[1]                                                            AS date_text,
           v[7]                                                            AS volume_text,
           CASE WHEN typed THEN t_date ELSE meta.exact_date(v[1]) END     AS Date,
           CASE WHEN typed THEN t_open ELSE meta.exact_double(v[2]) END    AS Open,
           CASE WHEN typed THEN t_high ELSE meta.exact_double(v[3]) END    AS High,
           CASE WHEN typed THEN t_low ELSE meta.exact_double(v[4]) END     AS Low,
           CASE WHEN typed THEN t_close ELSE meta.exact_double(v[5]) END   AS Close,
           CASE WHEN typed THEN t_adj_close ELSE meta.exact_double(v[6]) END AS "Adj Close",
           -- '1158000.0' is a whole number too
           CASE WHEN typed THEN t_volume ELSE meta.exact_whole(v[7]) END   AS volume_number
    FROM fields
),
judged AS (
    SELECT *,
        CASE
            WHEN is_header                                           THEN NULL
            -- a typed line has seven plain values: only its year is left to judge
            WHEN typed THEN CASE WHEN NOT meta.plausible_year(Date)  THEN 'Date is outside the years ' || meta.plausible_years() || ': '
                                 -- (the reader sends the text of such a line; should it not have, the load fails)
                                 || coalesce(split_part(raw, ',', 1), error('stocks: the reader typed a line that SQL rejects (file ' || file_id || ', line ' || line_no || ')')) END
            WHEN defect IS NOT NULL                                  THEN defect
            WHEN n_fields <> 7                                       THEN 'expected 7 fields, found ' || n_fields
            WHEN contains(raw, ',,') OR starts_with(raw, ',') OR ends_with(raw, ',') THEN 'missing values'
            WHEN Date IS NULL                                        THEN 'Date is not a date (YYYY-MM-DD): ' || date_text
            WHEN NOT meta.plausible_year(Date)                       THEN 'Date is outside the years ' || meta.plausible_years() || ': ' || date_text
            WHEN Open IS NULL                                        THEN 'Open is not a number: ' || v[2]
            WHEN High IS NULL                                        THEN 'High is not a number: ' || v[3]
            WHEN Low IS NULL                                         THEN 'Low is not a number: ' || v[4]
            WHEN Close IS NULL                                       THEN 'Close is not a number: ' || v[5]
            WHEN "Adj Close" IS NULL                                 THEN 'Adj Close is not a number: ' || v[6]
            WHEN NOT isfinite(Open + High + Low + Close + "Adj Close") THEN 'a price is not finite'
            WHEN volume_number IS NULL OR volume_number < 0          THEN 'Volume is not a whole number: ' || volume_text
        END AS reject_reason
    FROM typed
)
SELECT * EXCLUDE (v, date_text, volume_text, n_fields, defect, typed, t_date, t_open, t_high, t_low, t_close,
                  t_adj_close, t_volume),
       typed AS by_reader
FROM judged;

-- The (file, day) keys the reader saw on more than one line it typed (file id in the high 47 bits, the
-- day counted from 1900-01-01 in the low 17: src/datasets/stocks.rs): read once, now that the lines were
-- read whole.
CREATE OR REPLACE TEMP TABLE price_repeated_keys AS
SELECT (key >> 17)::BIGINT AS file_id, (DATE '1900-01-01' + (key & 131071)::INTEGER)::DATE AS Date
FROM incoming_repeats;

-- Repeats: a valid row whose (Symbol, Date) was seen earlier in this run (file, then line order) or is
-- already loaded. They are rare, so only their keys go through the window, and only they get a verdict
-- here: the same values make a duplicate, other values a reject naming the row kept. `valid` is not
-- materialised (DuckDB would copy all 28M rows, every column, once; each use below reads only the
-- columns it needs: 8.9-10.0 s to 5.1-6.2 s). The rows a first load read straight (prices_judged.sql)
-- are this run's too: one whose day a line typed here also has, or a symbol's other file, competes by
-- position, and if it loses it is deleted below. Rows of earlier loads always win.
CREATE OR REPLACE TEMP TABLE repeated_prices AS
WITH valid AS NOT MATERIALIZED (
    SELECT * FROM judged_prices WHERE reject_reason IS NULL AND NOT is_header
),
-- (file ids only grow: the rows of earlier loads are those below this run's first file, which DuckDB
-- finds from each row group's bounds, without reading the rows of this run)
existing AS (
    SELECT Symbol, Date, (Open, High, Low, Close, "Adj Close", Volume) AS values_loaded
    FROM market.prices
    WHERE source_file_id < (SELECT min(file_id) FROM staged_files) AND Symbol IN (SELECT Symbol FROM price_files)
),
straight AS NOT MATERIALIZED (
    SELECT Symbol, Date, source_file_id AS file_id, line_number AS line_no,
           (Open, High, Low, Close, "Adj Close", Volume) AS row_values
    FROM market.prices WHERE source_file_id IN (SELECT file_id FROM judged_files)
),
-- the rows read straight that meet another row of this run on their day: few
contested AS MATERIALIZED (
    SELECT s.* FROM straight s SEMI JOIN valid v USING (Symbol, Date)
    UNION
    SELECT * FROM straight
    WHERE Symbol IN (SELECT Symbol FROM price_files GROUP BY Symbol HAVING count(*) > 1)
    QUALIFY count(*) OVER (PARTITION BY Symbol, Date) > 1
),
by_sql AS NOT MATERIALIZED (
    SELECT file_id, Date FROM valid WHERE NOT by_reader
),
repeated_keys AS (
    -- within a file (its rows share the file's symbol): the keys the reader saw more than once, and of
    -- the lines SQL typed itself, those occurring more than once or also on a line the reader typed
    -- (grouping all 28M lines by file and day took 2-3 s)
    SELECT f.Symbol, r.Date
    FROM (SELECT file_id, Date FROM price_repeated_keys
          UNION ALL
          SELECT file_id, Date FROM by_sql GROUP BY file_id, Date HAVING count(*) > 1
          UNION ALL
          SELECT v.file_id, v.Date FROM valid v SEMI JOIN by_sql s USING (file_id, Date) WHERE v.by_reader) r
    JOIN price_files f USING (file_id)
    UNION
    -- across the files of a symbol named twice in this run (etfs/X.csv and stocks/X.csv)
    SELECT Symbol, Date FROM valid
    WHERE Symbol IN (SELECT Symbol FROM price_files GROUP BY Symbol HAVING count(*) > 1)
    GROUP BY Symbol, Date HAVING count(*) > 1
    UNION
    SELECT v.Symbol, v.Date FROM valid v SEMI JOIN existing e USING (Symbol, Date)
    UNION
    SELECT Symbol, Date FROM contested
),
competing AS (
    SELECT v.file_id, v.line_no, v.Symbol, v.Date,
           (v.Open, v.High, v.Low, v.Close, v."Adj Close", CAST(v.volume_number AS BIGINT)) AS row_values,
           false AS straight
    FROM valid v SEMI JOIN repeated_keys k USING (Symbol, Date)
    UNION ALL
    SELECT file_id, line_no, Symbol, Date, row_values, true AS straight FROM contested
),
ranked AS (
    SELECT *,
           row_number() OVER w AS nth,
           first_value(line_no) OVER w AS first_line,
           first_value(file_id) OVER w AS first_file,
           first_value(row_values) OVER w AS first_values
    FROM competing
    WINDOW w AS (PARTITION BY Symbol, Date ORDER BY file_id, line_no)
)
SELECT r.file_id, r.line_no, r.straight,
    CASE
        WHEN e.values_loaded IS NOT NULL AND e.values_loaded <> r.row_values
            THEN 'conflicts with the row already loaded for ' || r.Symbol || ' ' || r.Date
        WHEN e.values_loaded IS NULL AND r.first_values <> r.row_values
            THEN 'conflicts with line ' || r.first_line
                 || CASE WHEN r.first_file <> r.file_id THEN ' of ' || kept.path ELSE '' END
                 || ' for ' || r.Symbol || ' ' || r.Date
    END AS reject_reason
FROM ranked r
LEFT JOIN existing e USING (Symbol, Date)
LEFT JOIN staged_files kept ON kept.file_id = r.first_file
WHERE e.values_loaded IS NOT NULL OR r.nth > 1;

DELETE FROM market.prices AS p USING repeated_prices AS r
WHERE r.straight AND p.source_file_id = r.file_id AND p.line_number = r.line_no;

-- (a row read straight that lost its day has no text here: recover_texts reads it from the file)
CREATE OR REPLACE TEMP VIEW rejected_prices AS
SELECT file_id, line_no, raw, reject_reason FROM judged_prices WHERE reject_reason IS NOT NULL
UNION ALL
SELECT r.file_id, r.line_no, j.raw, r.reject_reason
FROM repeated_prices r LEFT JOIN judged_prices j USING (file_id, line_no)
WHERE r.reject_reason IS NOT NULL;

INSERT INTO market.prices_rejected SELECT * FROM rejected_rows('rejected_prices');

INSERT INTO market.prices (Symbol, "Security Name", Date, Open, High, Low, Close, "Adj Close", Volume, is_etf,
                           source_file_id, line_number)
SELECT t.Symbol, m."Security Name", t.Date, t.Open, t.High, t.Low, t.Close, t."Adj Close",
       CAST(t.volume_number AS BIGINT), coalesce(t.is_etf, m.is_etf, false), t.file_id, t.line_no
FROM judged_prices t
ANTI JOIN repeated_prices r ON NOT r.straight AND t.file_id = r.file_id AND t.line_no = r.line_no
LEFT JOIN market.symbols m USING (Symbol)
WHERE t.reject_reason IS NULL AND NOT t.is_header;

-- What the accounting (accounting.sql) and the header check (file_errors.sql) need of the typed lines,
-- per file; then the typed lines are dropped, so that the rolling features and the data tests do not
-- run beside them (under the memory limit, they would be spilled to disk and read back).
CREATE OR REPLACE TEMP TABLE price_file_counts AS
WITH counted AS (
    -- the lines typed here (header lines are not rows); a file read straight (judged_files) was read
    -- whole then, and the lines it left here are among those: only its header lines come off
    SELECT p.file_id,
           CASE WHEN j.file_id IS NULL THEN count(*) FILTER (NOT p.is_header)
                ELSE -count(*) FILTER (p.is_header) END AS rows_read,
           0 AS rows_duplicate,
           count(p.reject_reason) AS rows_rejected
    FROM judged_prices p LEFT JOIN judged_files j USING (file_id)
    GROUP BY p.file_id, j.file_id
    UNION ALL
    SELECT file_id, rows_read, 0, 0 FROM judged_files
    UNION ALL
    SELECT file_id, 0, count(*) FILTER (reject_reason IS NULL), count(reject_reason)
    FROM repeated_prices GROUP BY file_id
)
SELECT file_id, sum(rows_read)::BIGINT AS rows_read, sum(rows_duplicate)::BIGINT AS rows_duplicate,
       sum(rows_rejected)::BIGINT AS rows_rejected
FROM counted GROUP BY file_id;

-- Each price file's first non-blank line: its number, its text (arg_min_null: the reader always sends it,
-- even if NULL, when it is in the file's first block of 1 MiB) and whether it is the header. A file read
-- straight whose first line is not its line 1 (blank lines came first) may have sent its first line
-- straight into market.prices, when 1 MiB or more of blank lines put it in a later block: those files
-- (few) are looked up there.
CREATE OR REPLACE TEMP TABLE price_file_first_lines AS
WITH typed_here AS (
    SELECT file_id, min(line_no) AS first_line_no, arg_min_null(raw, line_no) AS first_line,
           arg_min(is_header, line_no) AS starts_with_header
    FROM judged_prices GROUP BY file_id
),
went_straight AS (
    SELECT source_file_id AS file_id, min(line_number) AS first_line_no
    FROM market.prices
    WHERE source_file_id IN (SELECT j.file_id FROM judged_files j LEFT JOIN typed_here t USING (file_id)
                             WHERE coalesce(t.first_line_no, 2) > 1)
    GROUP BY ALL
)
SELECT f.file_id,
       -- (a straight row: a plain price line, whose text is not here)
       CASE WHEN s.first_line_no < coalesce(t.first_line_no, s.first_line_no + 1) THEN s.first_line_no
            ELSE t.first_line_no END AS first_line_no,
       CASE WHEN s.first_line_no < coalesce(t.first_line_no, s.first_line_no + 1) THEN NULL
            ELSE t.first_line END AS first_line,
       CASE WHEN s.first_line_no < coalesce(t.first_line_no, s.first_line_no + 1) THEN false
            ELSE t.starts_with_header END AS starts_with_header
FROM price_files f
LEFT JOIN typed_here t USING (file_id)
LEFT JOIN went_straight s USING (file_id)
WHERE t.file_id IS NOT NULL OR s.file_id IS NOT NULL;

DROP VIEW rejected_prices;
DROP TABLE repeated_prices;
DROP TABLE price_repeated_keys;
DROP TABLE judged_prices;

-- Features: recomputed for every symbol that gained rows (a window needs the symbol's whole history), by
-- the after-load step (src/stocks.rs: features_clear.sql, features_passes.sql, features_rows.sql).
CREATE OR REPLACE TEMP TABLE touched_symbols AS
SELECT DISTINCT Symbol FROM market.prices WHERE source_file_id IN (SELECT file_id FROM staged_files);
