-- Each price row says where it came from to the line, as votes do since V013: its file (source_file_id)
-- and now its line there. A first stocks load then puts the lines the reader typed whole straight into
-- market.prices (sql/datasets/stocks/prices_judged.sql) and weighs a repeated (Symbol, Date) by this
-- position: the first line keeps the day, a later one is a duplicate or a reject naming it. Rows loaded
-- before this version have no line number (NULL).
ALTER TABLE market.prices ADD COLUMN line_number BIGINT;
