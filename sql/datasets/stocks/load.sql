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

-- Every staged line typed and judged (materialized once: several steps below read it).
CREATE OR REPLACE TEMP TABLE judged_prices AS
WITH fields AS (
    SELECT l.file_id, l.line_no, l.defect, l.raw, f.Symbol, f.is_etf,
           length(l.raw) - length(replace(l.raw, ',', '')) + 1 AS n_fields
    FROM staged_lines l JOIN price_files f USING (file_id)
    WHERE NOT (l.line_no = 1 AND l.raw = 'Date,Open,High,Low,Close,Adj Close,Volume')
),
typed AS (
    SELECT *,
           split_part(raw, ',', 1)                      AS date_text,
           split_part(raw, ',', 7)                      AS volume_text,
           TRY_CAST(date_text AS DATE)                  AS Date,
           TRY_CAST(split_part(raw, ',', 2) AS DOUBLE)  AS Open,
           TRY_CAST(split_part(raw, ',', 3) AS DOUBLE)  AS High,
           TRY_CAST(split_part(raw, ',', 4) AS DOUBLE)  AS Low,
           TRY_CAST(split_part(raw, ',', 5) AS DOUBLE)  AS Close,
           TRY_CAST(split_part(raw, ',', 6) AS DOUBLE)  AS "Adj Close",
           TRY_CAST(volume_text AS DOUBLE)              AS volume_number
    FROM fields
),
judged AS (
    SELECT *,
        CASE
            WHEN defect IS NOT NULL                                  THEN defect
            WHEN n_fields <> 7                                       THEN 'expected 7 fields, found ' || n_fields
            WHEN contains(raw, ',,') OR starts_with(raw, ',') OR ends_with(raw, ',') THEN 'missing values'
            WHEN Date IS NULL                                        THEN 'Date is not a date: ' || date_text
            WHEN Open IS NULL OR High IS NULL OR Low IS NULL OR Close IS NULL OR "Adj Close" IS NULL
                                                                     THEN 'a price is not a number'
            WHEN NOT isfinite(Open + High + Low + Close + "Adj Close") THEN 'a price is not finite'
            WHEN volume_number IS NULL OR volume_number <> round(volume_number) OR volume_number < 0
                                                                     THEN 'Volume is not a whole number: ' || volume_text
        END AS reject_reason
    FROM typed
)
SELECT * EXCLUDE (raw) FROM judged;

-- A (Symbol, Date) seen more than once in this run is rare: only those rows go through the window that
-- finds the first occurrence (file, then line order).
CREATE OR REPLACE TEMP TABLE typed_prices AS
WITH repeated AS (
    SELECT Symbol, Date FROM judged_prices WHERE reject_reason IS NULL GROUP BY ALL HAVING count(*) > 1
),
ranked AS (
    SELECT j.file_id, j.line_no,
           row_number() OVER w AS nth,
           first_value((j.Open, j.High, j.Low, j.Close, j."Adj Close", CAST(j.volume_number AS BIGINT), j.line_no)) OVER w AS first_row
    FROM judged_prices j SEMI JOIN repeated r ON j.Symbol = r.Symbol AND j.Date = r.Date
    WHERE j.reject_reason IS NULL
    WINDOW w AS (PARTITION BY j.Symbol, j.Date ORDER BY j.file_id, j.line_no)
),
valid AS (
    SELECT j.*, CAST(j.volume_number AS BIGINT) AS Volume, coalesce(r.nth, 1) AS nth, r.first_row
    FROM judged_prices j LEFT JOIN ranked r USING (file_id, line_no)
    WHERE j.reject_reason IS NULL
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
            THEN 'conflicts with line ' || v.first_row[7] || ' for ' || v.Symbol || ' ' || v.Date
    END AS reject_reason,
    e.values_loaded IS NOT NULL OR v.nth > 1 AS is_repeat
FROM valid v LEFT JOIN existing e USING (Symbol, Date)
UNION ALL
SELECT file_id, line_no, Symbol, is_etf, NULL, NULL, NULL, NULL, NULL, NULL, NULL, reject_reason, false
FROM judged_prices WHERE reject_reason IS NOT NULL;

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
