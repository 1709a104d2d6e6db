-- A file's path as the pattern that DuckDB's file readers (read_parquet, read_csv, parquet_schema,
-- parquet_file_metadata) match to that one file only: *, ? and [ each become a one-character class
-- ([*], [?], [[]). A file name is data, never a pattern: every path handed to a reader goes through this.
CREATE OR REPLACE MACRO meta.file_pattern(path) AS regexp_replace(path, '([*?\[])', '[\1]', 'g');
