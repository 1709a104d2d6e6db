-- What a price file's path says (the public "stock market dataset" layout: etfs/*.csv, stocks/*.csv): its
-- symbol is the file name without .csv, taken as it is (a file name is data); it is an ETF when it sits
-- in etfs/, not one in stocks/, and NULL elsewhere (then symbols_valid_meta.csv's ETF flag decides).
CREATE OR REPLACE MACRO meta.price_symbol(path) AS regexp_extract(path, '([^/\\]+)\.[cC][sS][vV]$', 1);
CREATE OR REPLACE MACRO meta.price_folder_is_etf(path) AS
    CASE WHEN regexp_matches(path, '[/\\]etfs[/\\][^/\\]+$')   THEN true
         WHEN regexp_matches(path, '[/\\]stocks[/\\][^/\\]+$') THEN false
    END;
