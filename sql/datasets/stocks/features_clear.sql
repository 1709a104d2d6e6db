-- Before the rolling features are written again: the touched symbols (left by load.sql; none when no
-- file was new) lose their old features.
CREATE TEMP TABLE IF NOT EXISTS touched_symbols (Symbol VARCHAR);
DELETE FROM market.features WHERE Symbol IN (SELECT Symbol FROM touched_symbols);
