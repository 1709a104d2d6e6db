-- Stock prices: staged_lines of etfs/*.csv and stocks/*.csv -> market.prices (+ rejects), then
-- market.features recomputed for the symbols that gained rows. The symbol is the file name.

CREATE OR REPLACE TEMP TABLE price_files AS
SELECT file_id, path,
       regexp_extract(path, '([^/\\]+)\.[cC][sS][vV]$', 1) AS Symbol,
       CASE WHEN regexp_matches(path, '[/\\]etfs[/\\][^/\\]+$')   THEN true
            WHEN regexp_matches(path, '[/\\]stocks[/\\][^/\\]+$') THEN false
       END AS is_etf  -- from the folder; NULL elsewhere, then the meta file's ETF flag decides
FROM staged_files
WHERE NOT regexp_matches(path, '(^|[/\\])symbols_valid_meta\.csv$');

CREATE OR REPLACE TEMP TABLE typed_prices AS
WITH fields AS (
    SELECT l.file_id, l.line_no, l.defect, f.Symbol, f.is_etf, string_split(l.raw, ',') AS c
    FROM staged_lines l JOIN price_files f USING (file_id)
    WHERE NOT (l.line_no = 1 AND l.raw = 'Date,Open,High,Low,Close,Adj Close,Volume')
),
typed AS (
    SELECT *,
           TRY_CAST(c[1] AS DATE)   AS Date,
           TRY_CAST(c[2] AS DOUBLE) AS Open,
           TRY_CAST(c[3] AS DOUBLE) AS High,
           TRY_CAST(c[4] AS DOUBLE) AS Low,
           TRY_CAST(c[5] AS DOUBLE) AS Close,
           TRY_CAST(c[6] AS DOUBLE) AS "Adj Close",
           TRY_CAST(c[7] AS DOUBLE) AS volume_number
    FROM fields
),
judged AS (
    SELECT *,
        CASE
            WHEN defect IS NOT NULL                                  THEN defect
            WHEN len(c) <> 7                                         THEN 'expected 7 fields, found ' || len(c)
            WHEN list_bool_or(list_transform(c, lambda v: trim(v) = ''))  THEN 'missing values'
            WHEN Date IS NULL                                        THEN 'Date is not a date: ' || c[1]
            WHEN Open IS NULL OR High IS NULL OR Low IS NULL OR Close IS NULL OR "Adj Close" IS NULL
                                                                     THEN 'a price is not a number'
            WHEN NOT isfinite(Open + High + Low + Close + "Adj Close") THEN 'a price is not finite'
            WHEN volume_number IS NULL OR volume_number <> round(volume_number) OR volume_number < 0
                                                                     THEN 'Volume is not a whole number: ' || c[7]
        END AS reject_reason
    FROM typed
),
-- Rows for a (Symbol, Date) already loaded, or seen earlier in this run (file, then line order).
valid AS (
    SELECT j.*, CAST(volume_number AS BIGINT) AS Volume,
           row_number() OVER (PARTITION BY Symbol, Date ORDER BY file_id, line_no) AS nth,
           first_value((Open, High, Low, Close, "Adj Close", CAST(volume_number AS BIGINT), file_id, line_no))
               OVER (PARTITION BY Symbol, Date ORDER BY file_id, line_no) AS first_row
    FROM judged j WHERE reject_reason IS NULL
),
existing AS (
    SELECT Symbol, Date, (Open, High, Low, Close, "Adj Close", Volume) AS values_loaded
    FROM market.prices WHERE Symbol IN (SELECT Symbol FROM price_files)
)
SELECT v.file_id, v.line_no, v.Symbol, v.is_etf, v.Date, v.Open, v.High, v.Low, v.Close, v."Adj Close", v.Volume,
    CASE
        WHEN e.values_loaded IS NOT NULL AND e.values_loaded <> (v.Open, v.High, v.Low, v.Close, v."Adj Close", v.Volume)
            THEN 'conflicts with the row already loaded for ' || v.Symbol || ' ' || v.Date
        WHEN e.values_loaded IS NULL AND v.nth > 1
             AND (v.first_row[1], v.first_row[2], v.first_row[3], v.first_row[4], v.first_row[5], v.first_row[6])
                 <> (v.Open, v.High, v.Low, v.Close, v."Adj Close", v.Volume)
            THEN 'conflicts with line ' || v.first_row[8] || ' for ' || v.Symbol || ' ' || v.Date
    END AS reject_reason,
    e.values_loaded IS NOT NULL OR v.nth > 1 AS is_repeat
FROM valid v LEFT JOIN existing e USING (Symbol, Date)
UNION ALL
SELECT file_id, line_no, Symbol, is_etf, NULL, NULL, NULL, NULL, NULL, NULL, NULL, reject_reason, false
FROM judged WHERE reject_reason IS NOT NULL;

INSERT INTO market.prices_rejected
SELECT t.file_id, f.path, t.line_no, s.raw, t.reject_reason, now()::TIMESTAMP
FROM typed_prices t
JOIN staged_lines s USING (file_id, line_no)
JOIN staged_files f USING (file_id)
WHERE t.reject_reason IS NOT NULL;

INSERT INTO market.prices
SELECT t.Symbol, m."Security Name", t.Date, t.Open, t.High, t.Low, t.Close, t."Adj Close", t.Volume,
       coalesce(t.is_etf, m.is_etf, false), t.file_id
FROM typed_prices t
LEFT JOIN market.symbols m USING (Symbol)
WHERE t.reject_reason IS NULL AND NOT t.is_repeat;

-- Features: recomputed for every symbol that gained rows (a window needs the symbol's whole history).
CREATE OR REPLACE TEMP TABLE touched_symbols AS
SELECT DISTINCT Symbol FROM typed_prices WHERE reject_reason IS NULL AND NOT is_repeat;

DELETE FROM market.features WHERE Symbol IN (SELECT Symbol FROM touched_symbols);

INSERT INTO market.features
SELECT Symbol, "Security Name", Date, Open, High, Low, Close, "Adj Close", Volume, is_etf,
       CASE WHEN count(*) OVER w = 30 THEN avg(Volume) OVER w END,
       CASE WHEN count(*) OVER w = 30 THEN median("Adj Close") OVER w END
FROM market.prices
WHERE Symbol IN (SELECT Symbol FROM touched_symbols)
WINDOW w AS (PARTITION BY Symbol ORDER BY Date ROWS BETWEEN 29 PRECEDING AND CURRENT ROW);
