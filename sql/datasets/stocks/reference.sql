-- symbols_valid_meta.csv (quoted CSV, read by DuckDB's CSV reader): replaces market.symbols.
-- Variables: reference_file, reference_file_id.
SET VARIABLE reference_pattern = meta.file_pattern(getvariable('reference_file'));
DELETE FROM market.symbols;
INSERT INTO market.symbols
SELECT Symbol, "Security Name", upper(trim(ETF)) = 'Y', "Listing Exchange", getvariable('reference_file_id')
FROM read_csv(getvariable('reference_pattern'), header = true, all_varchar = true)
WHERE Symbol IS NOT NULL;

-- Names already copied into prices and features follow the new directory.
UPDATE market.prices p SET "Security Name" = s."Security Name"
FROM market.symbols s
WHERE p.Symbol = s.Symbol AND p."Security Name" IS DISTINCT FROM s."Security Name";
UPDATE market.features p SET "Security Name" = s."Security Name"
FROM market.symbols s
WHERE p.Symbol = s.Symbol AND p."Security Name" IS DISTINCT FROM s."Security Name";
