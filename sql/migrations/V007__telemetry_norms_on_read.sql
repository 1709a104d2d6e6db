-- Stage 4 stores what it cannot recompute cheaply and computes the rest when read: the grid table is
-- telemetry.run_grid, and telemetry.run_features (sql/views/telemetry/03_run_features.sql) is a view over
-- it that adds the norms v1 v2 a1 a2 f1 f2 and tool_gap. Those seven full-precision doubles were 29% of
-- the stored bytes of stage 4 (2.1M grid points: 112 of 391 MB), and a square root per row is nothing to
-- a reader.
ALTER TABLE telemetry.run_features RENAME TO run_grid;
ALTER TABLE telemetry.run_grid DROP COLUMN v1;
ALTER TABLE telemetry.run_grid DROP COLUMN v2;
ALTER TABLE telemetry.run_grid DROP COLUMN a1;
ALTER TABLE telemetry.run_grid DROP COLUMN a2;
ALTER TABLE telemetry.run_grid DROP COLUMN f1;
ALTER TABLE telemetry.run_grid DROP COLUMN f2;
ALTER TABLE telemetry.run_grid DROP COLUMN tool_gap;
