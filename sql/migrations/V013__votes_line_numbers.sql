-- Each vote says where it came from to the line, as the rejects and STEDI's landing tables do: its file
-- (source_file_id) and now its line there (for a Parquet file, its row, counted from 1). A first votes
-- load then puts the lines the reader typed whole straight into the table (sql/datasets/votes/
-- votes_judged.sql) and keeps the first line of a repeated Id by this position. Votes loaded before this
-- version have no line number (NULL). DuckDB adds a column to a table with an index.
ALTER TABLE blog_analysis.votes ADD COLUMN line_number BIGINT;
