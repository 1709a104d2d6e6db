-- The current schema of a fresh warehouse, as DuckDB states it: made by tests/schema.rs
-- (`UPDATE_SCHEMA=1 cargo test --release --test schema`); do not edit by hand. The sources are
-- sql/migrations (tables, indexes, sequences) and sql/views (views, macros).

-- sequences
-- market.model_run_ids
CREATE SEQUENCE model_run_ids INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START 1 NO CYCLE;
-- meta.file_load_id_seq
CREATE SEQUENCE file_load_id_seq INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START 1 NO CYCLE;
-- meta.load_run_id_seq
CREATE SEQUENCE load_run_id_seq INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START 1 NO CYCLE;

-- tables
-- blog_analysis.votes
CREATE TABLE blog_analysis.votes(Id BIGINT NOT NULL, PostId BIGINT NOT NULL, VoteTypeId SMALLINT NOT NULL, CreationDate TIMESTAMP NOT NULL, UserId BIGINT, BountyAmount INTEGER, source_file_id BIGINT NOT NULL, line_number BIGINT);
-- blog_analysis.votes_rejected
CREATE TABLE blog_analysis.votes_rejected(source_file_id BIGINT NOT NULL, source_file VARCHAR NOT NULL, line_number BIGINT NOT NULL, raw VARCHAR, reason VARCHAR NOT NULL, rejected_at TIMESTAMP NOT NULL);
-- dwh.data_sample
CREATE TABLE dwh.data_sample(department_name VARCHAR NOT NULL, sensor_serial VARCHAR NOT NULL, create_at TIMESTAMP NOT NULL, product_name VARCHAR NOT NULL, product_expire TIMESTAMP NOT NULL, source_file_id BIGINT NOT NULL, CHECK((length(department_name) <= 32)), CHECK((length(sensor_serial) <= 64)), CHECK((length(product_name) <= 16)));
-- dwh.data_sample_rejected
CREATE TABLE dwh.data_sample_rejected(source_file_id BIGINT NOT NULL, source_file VARCHAR NOT NULL, line_number BIGINT NOT NULL, raw VARCHAR, reason VARCHAR NOT NULL, rejected_at TIMESTAMP NOT NULL);
-- market.features
CREATE TABLE market.features(Symbol VARCHAR NOT NULL, "Security Name" VARCHAR, Date DATE NOT NULL, Open DOUBLE NOT NULL, High DOUBLE NOT NULL, Low DOUBLE NOT NULL, "Close" DOUBLE NOT NULL, "Adj Close" DOUBLE NOT NULL, Volume BIGINT NOT NULL, is_etf BOOLEAN NOT NULL, vol_moving_avg DOUBLE, adj_close_rolling_med DOUBLE);
-- market.model_runs
CREATE TABLE market.model_runs(model_run_id BIGINT DEFAULT(nextval('market.model_run_ids')) PRIMARY KEY, trained_at TIMESTAMP NOT NULL, model_version VARCHAR NOT NULL, model_path VARCHAR NOT NULL, model_bytes BIGINT NOT NULL, model_hash VARCHAR NOT NULL, "target" VARCHAR NOT NULL, features VARCHAR[] NOT NULL, lag_days INTEGER NOT NULL, trees INTEGER NOT NULL, max_depth INTEGER NOT NULL, min_samples_leaf INTEGER NOT NULL, max_samples BIGINT NOT NULL, bootstrap BOOLEAN NOT NULL, seed UBIGINT NOT NULL, rows_available BIGINT NOT NULL, train_rows BIGINT NOT NULL, test_rows BIGINT NOT NULL, test_from DATE NOT NULL, node_count BIGINT NOT NULL, "seconds" DOUBLE NOT NULL, peak_memory_bytes BIGINT, ledger_files BIGINT NOT NULL, ledger_last_load_id BIGINT, ledger_hash VARCHAR NOT NULL, test STRUCT("rows" BIGINT, mae DOUBLE, rmse DOUBLE, r2 DOUBLE, mae_log1p DOUBLE, mdape DOUBLE) NOT NULL, baseline_moving_avg STRUCT("rows" BIGINT, mae DOUBLE, rmse DOUBLE, r2 DOUBLE, mae_log1p DOUBLE, mdape DOUBLE) NOT NULL, baseline_linear STRUCT("rows" BIGINT, mae DOUBLE, rmse DOUBLE, r2 DOUBLE, mae_log1p DOUBLE, mdape DOUBLE) NOT NULL, random_split STRUCT("rows" BIGINT, mae DOUBLE, rmse DOUBLE, r2 DOUBLE, mae_log1p DOUBLE, mdape DOUBLE), beats_baseline BOOLEAN NOT NULL);
-- market.prices
CREATE TABLE market.prices(Symbol VARCHAR NOT NULL, "Security Name" VARCHAR, Date DATE NOT NULL, Open DOUBLE NOT NULL, High DOUBLE NOT NULL, Low DOUBLE NOT NULL, "Close" DOUBLE NOT NULL, "Adj Close" DOUBLE NOT NULL, Volume BIGINT NOT NULL, is_etf BOOLEAN NOT NULL, source_file_id BIGINT NOT NULL, line_number BIGINT);
-- market.prices_rejected
CREATE TABLE market.prices_rejected(source_file_id BIGINT NOT NULL, source_file VARCHAR NOT NULL, line_number BIGINT NOT NULL, raw VARCHAR, reason VARCHAR NOT NULL, rejected_at TIMESTAMP NOT NULL);
-- market.symbols
CREATE TABLE market.symbols(Symbol VARCHAR NOT NULL, "Security Name" VARCHAR, is_etf BOOLEAN, "Listing Exchange" VARCHAR, source_file_id BIGINT NOT NULL);
-- meta.file_loads
CREATE TABLE meta.file_loads(file_load_id BIGINT NOT NULL, run_id BIGINT NOT NULL, dataset VARCHAR NOT NULL, path VARCHAR NOT NULL, size_bytes BIGINT NOT NULL, modified_at TIMESTAMP, content_hash VARCHAR NOT NULL, status VARCHAR NOT NULL, rows_read BIGINT DEFAULT(0) NOT NULL, rows_inserted BIGINT DEFAULT(0) NOT NULL, rows_duplicate BIGINT DEFAULT(0) NOT NULL, rows_rejected BIGINT DEFAULT(0) NOT NULL, rows_replaced BIGINT DEFAULT(0) NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP NOT NULL, message VARCHAR);
-- meta.indexes_set_aside
CREATE TABLE meta.indexes_set_aside(table_name VARCHAR NOT NULL, index_name VARCHAR NOT NULL, definition VARCHAR NOT NULL);
-- meta.schema_migrations
CREATE TABLE meta.schema_migrations("version" INTEGER NOT NULL, "name" VARCHAR NOT NULL, checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL);
-- meta.schema_views
CREATE TABLE meta.schema_views(checksum VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL);
-- meta.test_results
CREATE TABLE meta.test_results(test VARCHAR NOT NULL, relation VARCHAR NOT NULL, dataset VARCHAR NOT NULL, kind VARCHAR NOT NULL, severity VARCHAR NOT NULL, status VARCHAR NOT NULL, failing_rows BIGINT, observed BIGINT, message VARCHAR, load_run_id BIGINT, rolled_back BOOLEAN NOT NULL, checked_at TIMESTAMP NOT NULL, "seconds" DOUBLE NOT NULL);
-- stedi_landing.accelerometer
CREATE TABLE stedi_landing.accelerometer("user" VARCHAR NOT NULL, "timestamp" TIMESTAMP NOT NULL, x DOUBLE NOT NULL, y DOUBLE NOT NULL, z DOUBLE NOT NULL, source_file_id BIGINT NOT NULL, line_number BIGINT NOT NULL);
-- stedi_landing.customer
CREATE TABLE stedi_landing.customer(customerName VARCHAR, email VARCHAR NOT NULL, phone VARCHAR, birthDay DATE, serialNumber VARCHAR, registrationDate TIMESTAMP, lastUpdateDate TIMESTAMP NOT NULL, shareWithResearchAsOfDate TIMESTAMP, shareWithPublicAsOfDate TIMESTAMP, shareWithFriendsAsOfDate TIMESTAMP, source_file_id BIGINT NOT NULL, line_number BIGINT NOT NULL);
-- stedi_landing.rejected
CREATE TABLE stedi_landing.rejected(source_file_id BIGINT NOT NULL, source_file VARCHAR NOT NULL, line_number BIGINT NOT NULL, raw VARCHAR, reason VARCHAR NOT NULL, rejected_at TIMESTAMP NOT NULL);
-- stedi_landing.step_trainer
CREATE TABLE stedi_landing.step_trainer(sensorReadingTime TIMESTAMP NOT NULL, serialNumber VARCHAR NOT NULL, distanceFromObject INTEGER NOT NULL, source_file_id BIGINT NOT NULL, line_number BIGINT NOT NULL);
-- telemetry.reading_spikes
CREATE TABLE telemetry.reading_spikes(run_uuid UBIGINT NOT NULL, source_file_id BIGINT NOT NULL, row_number BIGINT NOT NULL);
-- telemetry.readings_duplicate
CREATE TABLE telemetry.readings_duplicate(source_file_id BIGINT NOT NULL, row_number BIGINT NOT NULL, run_uuid UBIGINT NOT NULL, kept_file_id BIGINT NOT NULL, kept_row_number BIGINT NOT NULL);
-- telemetry.readings_raw
CREATE TABLE telemetry.readings_raw(source_file_id BIGINT NOT NULL, row_number BIGINT NOT NULL, "time" TIMESTAMP, "value" DOUBLE, field ENUM('fx', 'fy', 'fz', 'x', 'y', 'z'), robot_id BIGINT, run_uuid UBIGINT, sensor_type ENUM('encoder', 'load_cell'), unparsed VARCHAR);
-- telemetry.readings_rejected
CREATE TABLE telemetry.readings_rejected(source_file_id BIGINT NOT NULL, source_file VARCHAR NOT NULL, line_number BIGINT NOT NULL, run_uuid UBIGINT, raw VARCHAR NOT NULL, reason VARCHAR NOT NULL, rejected_at TIMESTAMP NOT NULL);
-- telemetry.run_grid
CREATE TABLE telemetry.run_grid(run_uuid UBIGINT NOT NULL, "time" TIMESTAMP NOT NULL, fx_1 DOUBLE, fx_2 DOUBLE, fy_1 DOUBLE, fy_2 DOUBLE, fz_1 DOUBLE, fz_2 DOUBLE, x_1 DOUBLE, x_2 DOUBLE, y_1 DOUBLE, y_2 DOUBLE, z_1 DOUBLE, z_2 DOUBLE, vx_1 DOUBLE, vy_1 DOUBLE, vz_1 DOUBLE, vx_2 DOUBLE, vy_2 DOUBLE, vz_2 DOUBLE, ax_1 DOUBLE, ay_1 DOUBLE, az_1 DOUBLE, ax_2 DOUBLE, ay_2 DOUBLE, az_2 DOUBLE, d1 DOUBLE, d2 DOUBLE, encoder_1_filled BOOLEAN, encoder_2_filled BOOLEAN, load_cell_1_filled BOOLEAN, load_cell_2_filled BOOLEAN);
-- telemetry.run_sensors
CREATE TABLE telemetry.run_sensors(run_uuid UBIGINT NOT NULL, robot_id UTINYINT NOT NULL, sensor_type VARCHAR NOT NULL, samples BIGINT NOT NULL, readings BIGINT NOT NULL, spikes BIGINT NOT NULL, first_time TIMESTAMP NOT NULL, last_time TIMESTAMP NOT NULL, longest_gap_ms DOUBLE NOT NULL, observed_buckets BIGINT NOT NULL, filled_buckets BIGINT NOT NULL);
-- telemetry.runs
CREATE TABLE telemetry.runs(run_uuid UBIGINT NOT NULL, grid_ms INTEGER NOT NULL, derived_in_run BIGINT NOT NULL, derived_at TIMESTAMP NOT NULL);
-- telemetry.settings
CREATE TABLE telemetry.settings(grid_ms INTEGER NOT NULL, CHECK((grid_ms > 0)));

-- indexes
-- blog_analysis.votes_id
CREATE UNIQUE INDEX votes_id ON blog_analysis.votes(Id);

-- views
-- blog_analysis.outlier_weeks
CREATE VIEW blog_analysis.outlier_weeks AS WITH daily AS (SELECT CAST(CreationDate AS DATE) AS "day", count_star() AS votes FROM blog_analysis.votes GROUP BY ALL), weekly AS (SELECT CAST("year"("day") AS INTEGER) AS "Year", CAST(strftime("day", '%W') AS INTEGER) AS WeekNumber, CAST(sum(votes) AS BIGINT) AS VoteCount FROM daily GROUP BY ALL), mean_week AS (SELECT avg(VoteCount) AS mean_votes FROM weekly) SELECT "Year", WeekNumber, VoteCount FROM weekly , mean_week WHERE (abs((1 - (VoteCount / mean_votes))) > 0.2) ORDER BY "Year", WeekNumber;
-- dwh.daily_summary
CREATE VIEW dwh.daily_summary AS SELECT CAST(create_at AS DATE) AS "day", department_name, count_star() AS readings, count(DISTINCT sensor_serial) AS sensors, count(DISTINCT product_name) AS products FROM dwh.data_sample GROUP BY ALL;
-- dwh.departments
CREATE VIEW dwh.departments AS SELECT department_name, count(DISTINCT sensor_serial) AS sensors, count_star() AS readings, min(create_at) AS first_seen, max(create_at) AS last_seen FROM dwh.data_sample GROUP BY department_name;
-- dwh.products
CREATE VIEW dwh.products AS SELECT product_name, count_star() AS readings, min(date_diff('day', create_at, product_expire)) AS min_shelf_life_days, max(date_diff('day', create_at, product_expire)) AS max_shelf_life_days FROM dwh.data_sample GROUP BY product_name;
-- dwh.sensors
CREATE VIEW dwh.sensors AS SELECT sensor_serial, department_name, count_star() AS readings, min(create_at) AS first_seen, max(create_at) AS last_seen FROM dwh.data_sample GROUP BY sensor_serial, department_name;
-- market.features_calendar_30d
CREATE VIEW market.features_calendar_30d AS SELECT Symbol, Date, CASE  WHEN ((min(Date) OVER (PARTITION BY Symbol) <= (Date - to_days(CAST(trunc(CAST(29 AS DOUBLE)) AS INTEGER))))) THEN (avg(Volume) OVER (PARTITION BY Symbol ORDER BY Date RANGE BETWEEN to_days(CAST(trunc(CAST(29 AS DOUBLE)) AS INTEGER)) PRECEDING AND CURRENT ROW)) ELSE NULL END AS vol_moving_avg, CASE  WHEN ((min(Date) OVER (PARTITION BY Symbol) <= (Date - to_days(CAST(trunc(CAST(29 AS DOUBLE)) AS INTEGER))))) THEN (median("Adj Close") OVER (PARTITION BY Symbol ORDER BY Date RANGE BETWEEN to_days(CAST(trunc(CAST(29 AS DOUBLE)) AS INTEGER)) PRECEDING AND CURRENT ROW)) ELSE NULL END AS adj_close_rolling_med, count() OVER (PARTITION BY Symbol ORDER BY Date RANGE BETWEEN to_days(CAST(trunc(CAST(29 AS DOUBLE)) AS INTEGER)) PRECEDING AND CURRENT ROW) AS trading_days_in_window FROM market.prices;
-- stedi_curated.customer_curated
CREATE VIEW stedi_curated.customer_curated AS SELECT c.* FROM stedi_trusted.customer_trusted AS c WHERE (lower(c.email) = ANY(SELECT lower("user") FROM (SELECT DISTINCT "user" FROM stedi_landing.accelerometer)));
-- stedi_curated.machine_learning_curated
CREATE VIEW stedi_curated.machine_learning_curated AS WITH step_trainer AS (SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, o.customer FROM stedi_landing.step_trainer AS s INNER JOIN stedi_trusted.serial_owners AS o ON (((o.serialNumber = s.serialNumber) AND (NOT o.ambiguous))) WHERE (o.customer = ANY(SELECT lower(email) FROM stedi_curated.customer_curated))) SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject, a.x, a.y, a.z FROM step_trainer AS s INNER JOIN stedi_landing.accelerometer AS a ON (((a."timestamp" = s.sensorReadingTime) AND (lower(a."user") = s.customer)));
-- stedi_trusted.accelerometer_trusted
CREATE VIEW stedi_trusted.accelerometer_trusted AS SELECT a."user", a."timestamp", a.x, a.y, a.z FROM stedi_landing.accelerometer AS a WHERE (lower(a."user") = ANY(SELECT lower(email) FROM stedi_trusted.customer_trusted));
-- stedi_trusted.customer_trusted
CREATE VIEW stedi_trusted.customer_trusted AS SELECT customerName, email, phone, birthDay, serialNumber, registrationDate, lastUpdateDate, shareWithResearchAsOfDate, shareWithPublicAsOfDate, shareWithFriendsAsOfDate FROM stedi_landing.customer QUALIFY ((row_number() OVER (PARTITION BY lower(email) ORDER BY lastUpdateDate DESC, source_file_id DESC, line_number DESC) = 1) AND (shareWithResearchAsOfDate IS NOT NULL));
-- stedi_trusted.serial_owners
CREATE VIEW stedi_trusted.serial_owners AS WITH latest AS (SELECT lower(email) AS customer, serialNumber FROM stedi_landing.customer QUALIFY (row_number() OVER (PARTITION BY lower(email) ORDER BY lastUpdateDate DESC, source_file_id DESC, line_number DESC) = 1)) SELECT serialNumber, count(DISTINCT customer) AS customers, min(customer) AS customer, (count(DISTINCT customer) > 1) AS ambiguous FROM latest WHERE (serialNumber IS NOT NULL) GROUP BY serialNumber;
-- stedi_trusted.step_trainer_trusted
CREATE VIEW stedi_trusted.step_trainer_trusted AS SELECT s.sensorReadingTime, s.serialNumber, s.distanceFromObject FROM stedi_landing.step_trainer AS s INNER JOIN stedi_trusted.serial_owners AS o ON (((o.serialNumber = s.serialNumber) AND (NOT o.ambiguous))) WHERE (o.customer = ANY(SELECT lower(email) FROM stedi_curated.customer_curated));
-- telemetry.readings
CREATE VIEW telemetry.readings AS SELECT r.run_uuid, CAST(r.robot_id AS UTINYINT) AS robot_id, r.sensor_type, r.field, r."time", r."value", (s.row_number IS NOT NULL) AS is_spike, r.source_file_id, r.row_number FROM telemetry.readings_raw AS r ANTI JOIN telemetry.readings_rejected AS j ON (((j.source_file_id = r.source_file_id) AND (j.line_number = r.row_number))) ANTI JOIN telemetry.readings_duplicate AS d ON (((d.source_file_id = r.source_file_id) AND (d.row_number = r.row_number))) LEFT JOIN telemetry.reading_spikes AS s ON (((s.source_file_id = r.source_file_id) AND (s.row_number = r.row_number)));
-- telemetry.readings_wide
CREATE VIEW telemetry.readings_wide AS SELECT run_uuid, "time", max("value") FILTER (WHERE ((robot_id = 1) AND (field = 'fx'))) AS fx_1, max("value") FILTER (WHERE ((robot_id = 2) AND (field = 'fx'))) AS fx_2, max("value") FILTER (WHERE ((robot_id = 1) AND (field = 'fy'))) AS fy_1, max("value") FILTER (WHERE ((robot_id = 2) AND (field = 'fy'))) AS fy_2, max("value") FILTER (WHERE ((robot_id = 1) AND (field = 'fz'))) AS fz_1, max("value") FILTER (WHERE ((robot_id = 2) AND (field = 'fz'))) AS fz_2, max("value") FILTER (WHERE ((robot_id = 1) AND (field = 'x'))) AS x_1, max("value") FILTER (WHERE ((robot_id = 2) AND (field = 'x'))) AS x_2, max("value") FILTER (WHERE ((robot_id = 1) AND (field = 'y'))) AS y_1, max("value") FILTER (WHERE ((robot_id = 2) AND (field = 'y'))) AS y_2, max("value") FILTER (WHERE ((robot_id = 1) AND (field = 'z'))) AS z_1, max("value") FILTER (WHERE ((robot_id = 2) AND (field = 'z'))) AS z_2 FROM telemetry.readings GROUP BY run_uuid, "time";
-- telemetry.run_features
CREATE VIEW telemetry.run_features AS SELECT run_uuid, "time", fx_1, fx_2, fy_1, fy_2, fz_1, fz_2, x_1, x_2, y_1, y_2, z_1, z_2, vx_1, vy_1, vz_1, vx_2, vy_2, vz_2, ax_1, ay_1, az_1, ax_2, ay_2, az_2, sqrt((((vx_1 * vx_1) + (vy_1 * vy_1)) + (vz_1 * vz_1))) AS v1, sqrt((((vx_2 * vx_2) + (vy_2 * vy_2)) + (vz_2 * vz_2))) AS v2, sqrt((((ax_1 * ax_1) + (ay_1 * ay_1)) + (az_1 * az_1))) AS a1, sqrt((((ax_2 * ax_2) + (ay_2 * ay_2)) + (az_2 * az_2))) AS a2, sqrt((((fx_1 * fx_1) + (fy_1 * fy_1)) + (fz_1 * fz_1))) AS f1, sqrt((((fx_2 * fx_2) + (fy_2 * fy_2)) + (fz_2 * fz_2))) AS f2, d1, d2, sqrt(((((x_1 - x_2) * (x_1 - x_2)) + ((y_1 - y_2) * (y_1 - y_2))) + ((z_1 - z_2) * (z_1 - z_2)))) AS tool_gap, encoder_1_filled, encoder_2_filled, load_cell_1_filled, load_cell_2_filled FROM telemetry.run_grid;
-- telemetry.run_statistics
CREATE VIEW telemetry.run_statistics AS WITH features AS (SELECT run_uuid, count_star() AS grid_points, sum(d1) AS distance_1_mm, sum(d2) AS distance_2_mm, avg(v1) AS mean_speed_1, max(v1) AS max_speed_1, avg(v2) AS mean_speed_2, max(v2) AS max_speed_2, max(f1) AS max_force_1, max(f2) AS max_force_2 FROM telemetry.run_features GROUP BY run_uuid), sensors AS (SELECT s.run_uuid, min(s.first_time) AS start_time, max(s.last_time) AS stop_time, sum(s.spikes) AS spikes, sum(s.filled_buckets) AS filled_grid_points, max(s.longest_gap_ms) AS longest_gap_ms, sum(samples) FILTER (WHERE ((robot_id = 1) AND (sensor_type = 'encoder'))) AS samples_encoder_1, (sum(observed_buckets) FILTER (WHERE ((robot_id = 1) AND (sensor_type = 'encoder'))) / any_value(f.grid_points)) AS coverage_encoder_1, sum(samples) FILTER (WHERE ((robot_id = 2) AND (sensor_type = 'encoder'))) AS samples_encoder_2, (sum(observed_buckets) FILTER (WHERE ((robot_id = 2) AND (sensor_type = 'encoder'))) / any_value(f.grid_points)) AS coverage_encoder_2, sum(samples) FILTER (WHERE ((robot_id = 1) AND (sensor_type = 'load_cell'))) AS samples_load_cell_1, (sum(observed_buckets) FILTER (WHERE ((robot_id = 1) AND (sensor_type = 'load_cell'))) / any_value(f.grid_points)) AS coverage_load_cell_1, sum(samples) FILTER (WHERE ((robot_id = 2) AND (sensor_type = 'load_cell'))) AS samples_load_cell_2, (sum(observed_buckets) FILTER (WHERE ((robot_id = 2) AND (sensor_type = 'load_cell'))) / any_value(f.grid_points)) AS coverage_load_cell_2 FROM telemetry.run_sensors AS s INNER JOIN features AS f USING (run_uuid) GROUP BY s.run_uuid), rejects AS (SELECT run_uuid, count_star() AS rejected_rows FROM telemetry.readings_rejected WHERE (run_uuid IS NOT NULL) GROUP BY run_uuid) SELECT r.run_uuid, s.start_time, s.stop_time, (s.stop_time - s.start_time) AS total_runtime, ((epoch_us(s.stop_time) - epoch_us(s.start_time)) / CAST(1000000.0 AS DOUBLE)) AS runtime_s, r.grid_ms, f.grid_points, f.distance_1_mm, f.distance_2_mm, f.mean_speed_1, f.max_speed_1, f.mean_speed_2, f.max_speed_2, f.max_force_1, f.max_force_2, s.samples_encoder_1, round(s.coverage_encoder_1, 4) AS coverage_encoder_1, s.samples_encoder_2, round(s.coverage_encoder_2, 4) AS coverage_encoder_2, s.samples_load_cell_1, round(s.coverage_load_cell_1, 4) AS coverage_load_cell_1, s.samples_load_cell_2, round(s.coverage_load_cell_2, 4) AS coverage_load_cell_2, "nullif"(concat_ws(', ', CASE  WHEN ((s.samples_encoder_1 IS NULL)) THEN ('encoder_1') ELSE NULL END, CASE  WHEN ((s.samples_encoder_2 IS NULL)) THEN ('encoder_2') ELSE NULL END, CASE  WHEN ((s.samples_load_cell_1 IS NULL)) THEN ('load_cell_1') ELSE NULL END, CASE  WHEN ((s.samples_load_cell_2 IS NULL)) THEN ('load_cell_2') ELSE NULL END), '') AS missing_sensors, COALESCE(j.rejected_rows, 0) AS rejected_rows, s.spikes, s.filled_grid_points, s.longest_gap_ms FROM telemetry.runs AS r INNER JOIN features AS f USING (run_uuid) INNER JOIN sensors AS s USING (run_uuid) LEFT JOIN rejects AS j USING (run_uuid);

-- macros
-- dwh.sensor_log_defect
MACRO dwh.sensor_log_defect(department_name, sensor_serial, create_at, product_name, product_expire) AS CASE  WHEN ((department_name IS NULL)) THEN ('department_name is missing') WHEN ((length(department_name) > 32)) THEN ('department_name is longer than 32 characters') WHEN ((sensor_serial IS NULL)) THEN ('sensor_serial is missing') WHEN ((length(sensor_serial) > 64)) THEN ('sensor_serial is longer than 64 characters') WHEN ((create_at IS NULL)) THEN ('create_at is missing') WHEN ((meta.timestamp_of(create_at) IS NULL)) THEN (((('create_at ' || meta.timestamp_problem(create_at)) || ': ') || create_at)) WHEN ((NOT meta.plausible_year(meta.timestamp_of(create_at)))) THEN (((('create_at is outside the years ' || meta.plausible_years()) || ': ') || create_at)) WHEN ((product_name IS NULL)) THEN ('product_name is missing') WHEN ((length(product_name) > 16)) THEN ('product_name is longer than 16 characters') WHEN ((product_expire IS NULL)) THEN ('product_expire is missing') WHEN ((meta.timestamp_of(product_expire) IS NULL)) THEN (((('product_expire ' || meta.timestamp_problem(product_expire)) || ': ') || product_expire)) WHEN ((NOT meta.plausible_year(meta.timestamp_of(product_expire)))) THEN (((('product_expire is outside the years ' || meta.plausible_years()) || ': ') || product_expire)) ELSE NULL END
-- meta.double_of
MACRO meta.double_of(x) AS CASE  WHEN ((typeof(x) = 'DOUBLE')) THEN (TRY_CAST(x AS DOUBLE)) WHEN ((typeof(x) = 'VARCHAR')) THEN (meta.exact_double(CAST(x AS VARCHAR))) WHEN ((typeof(x) = 'BOOLEAN')) THEN (NULL) ELSE TRY_CAST(x AS DOUBLE) END
-- meta.epoch_ms_of
MACRO meta.epoch_ms_of(ms) AS CASE  WHEN ((ms BETWEEN -2208988800000 AND 7258118399999)) THEN (epoch_ms(ms)) ELSE NULL END
-- meta.epoch_ms_timestamp
MACRO meta.epoch_ms_timestamp(t) AS meta.epoch_ms_of(meta.exact_whole(t))
-- meta.exact_bigint
MACRO meta.exact_bigint(t) AS CASE  WHEN ((CAST(TRY_CAST(t AS BIGINT) AS VARCHAR) = t)) THEN (TRY_CAST(t AS BIGINT)) WHEN (regexp_full_match(t, '[+-]?[0-9]+')) THEN (TRY_CAST(t AS BIGINT)) ELSE NULL END
-- meta.exact_date
MACRO meta.exact_date(t) AS CASE  WHEN (regexp_full_match(t, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}')) THEN (TRY_CAST(t AS DATE)) ELSE NULL END
-- meta.exact_double
MACRO meta.exact_double(t) AS CASE  WHEN ((contains(t, '_') OR starts_with(t, '+-') OR (ascii(t) <= 32) OR (ascii(t[-1]) <= 32))) THEN (NULL) WHEN ((isinf(TRY_CAST(t AS DOUBLE)) AND (NOT (lower(ltrim(t, '+-')) IN ('inf', 'infinity'))))) THEN (NULL) WHEN (((TRY_CAST(t AS DOUBLE) = 0) AND regexp_matches(t, '^[+-]?[0.]*[1-9]'))) THEN (NULL) ELSE TRY_CAST(t AS DOUBLE) END
-- meta.exact_ubigint
MACRO meta.exact_ubigint(t) AS CASE  WHEN ((CAST(TRY_CAST(t AS UBIGINT) AS VARCHAR) = t)) THEN (TRY_CAST(t AS UBIGINT)) WHEN (regexp_full_match(t, '[+]?[0-9]+')) THEN (TRY_CAST(t AS UBIGINT)) ELSE NULL END
-- meta.exact_whole
MACRO meta.exact_whole(t) AS CASE  WHEN ((NOT contains(t, '.'))) THEN (meta.exact_bigint(t)) WHEN (regexp_full_match(t, '[+-]?[0-9]+\.0*')) THEN (meta.exact_bigint(split_part(t, '.', 1))) ELSE NULL END
-- meta.file_pattern
MACRO meta.file_pattern(path) AS regexp_replace(path, '([*?\[])', '[\1]', 'g')
-- meta.has_utc_offset
MACRO meta.has_utc_offset(t) AS (suffix(t, 'Z') OR suffix(t, 'z') OR contains(substr(t, 11), '+') OR contains(substr(t, 11), '-'))
-- meta.integer_of
MACRO meta.integer_of(x) AS CASE  WHEN ((typeof(x) IN ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UINTEGER', 'USMALLINT', 'UTINYINT'))) THEN (TRY_CAST(x AS BIGINT)) WHEN ((typeof(x) = 'VARCHAR')) THEN (meta.exact_bigint(CAST(x AS VARCHAR))) WHEN ((TRY_CAST(x AS DOUBLE) = TRY_CAST(TRY_CAST(x AS BIGINT) AS DOUBLE))) THEN (TRY_CAST(x AS BIGINT)) ELSE NULL END
-- meta.plausible_year
MACRO meta.plausible_year(ts) AS ((ts >= CAST('1900-01-01' AS TIMESTAMP_US)) AND (ts < CAST('2200-01-01' AS TIMESTAMP_US)))
-- meta.plausible_years
MACRO meta.plausible_years() AS '1900-2199'
-- meta.price_folder_is_etf
MACRO meta.price_folder_is_etf(path) AS CASE  WHEN (regexp_matches(path, '[/\\]etfs[/\\][^/\\]+$')) THEN (true) WHEN (regexp_matches(path, '[/\\]stocks[/\\][^/\\]+$')) THEN (false) ELSE NULL END
-- meta.price_symbol
MACRO meta.price_symbol(path) AS regexp_extract(path, '([^/\\]+)\.[cC][sS][vV]$', 1)
-- meta.timestamp_of
MACRO meta.timestamp_of(x) AS CASE  WHEN ((typeof(x) = 'TIMESTAMP')) THEN (TRY_CAST(x AS TIMESTAMP_US)) WHEN ((typeof(x) = 'VARCHAR')) THEN (meta.utc_timestamp(CAST(x AS VARCHAR))) WHEN ((typeof(x) IN ('TIMESTAMP_NS', 'TIMESTAMPTZ_NS'))) THEN (CASE  WHEN (((epoch_ns(TRY_CAST(x AS TIMESTAMP_NS)) % 1000) = 0)) THEN (TRY_CAST(TRY_CAST(x AS TIMESTAMP_NS) AS TIMESTAMP_US)) ELSE NULL END) ELSE TRY_CAST(x AS TIMESTAMP_US) END
-- meta.timestamp_problem
MACRO meta.timestamp_problem(x) AS CASE  WHEN (((typeof(x) IN ('TIMESTAMP_NS', 'TIMESTAMPTZ_NS')) OR ((typeof(x) = 'VARCHAR') AND regexp_matches(CAST(x AS VARCHAR), '\.[0-9]{6}[0-9]*[1-9]')))) THEN ('is finer than a microsecond') ELSE 'is not a timestamp' END
-- meta.uinteger_of
MACRO meta.uinteger_of(x) AS CASE  WHEN ((typeof(x) IN ('UBIGINT', 'UINTEGER', 'USMALLINT', 'UTINYINT', 'BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT'))) THEN (TRY_CAST(x AS UBIGINT)) WHEN ((typeof(x) = 'VARCHAR')) THEN (meta.exact_ubigint(CAST(x AS VARCHAR))) WHEN ((TRY_CAST(x AS DOUBLE) = TRY_CAST(TRY_CAST(x AS UBIGINT) AS DOUBLE))) THEN (TRY_CAST(x AS UBIGINT)) ELSE NULL END
-- meta.utc_timestamp
MACRO meta.utc_timestamp(t) AS CASE  WHEN ((ascii(t) <= 32)) THEN (NULL) WHEN ((contains(t, '.') AND regexp_matches(t, '\.[0-9]{6}[0-9]*[1-9]'))) THEN (NULL) WHEN (meta.has_utc_offset(t)) THEN (CASE  WHEN (regexp_matches(t, '([+-](0[0-9]|1[0-4])(:?[0-5][0-9])?|[zZ])$')) THEN (TRY_CAST(TRY_CAST(regexp_replace(t, 'z$', 'Z') AS TIMESTAMPTZ) AS TIMESTAMP_US)) ELSE NULL END) WHEN ((NOT (t[-1] BETWEEN '0' AND '9'))) THEN (NULL) ELSE TRY_CAST(t AS TIMESTAMP_US) END
-- telemetry.is_valid_reading
MACRO telemetry.is_valid_reading(time, value, field, robot_id, run_uuid, sensor_type, unparsed) AS COALESCE(((unparsed IS NULL) AND (run_uuid IS NOT NULL) AND ("time" IS NOT NULL) AND meta.plausible_year("time") AND isfinite("value") AND (robot_id BETWEEN 1 AND 2) AND CASE  WHEN ((sensor_type = 'encoder')) THEN ((field IN ('x', 'y', 'z'))) WHEN ((sensor_type = 'load_cell')) THEN ((field IN ('fx', 'fy', 'fz'))) ELSE false END), false)
-- telemetry.known_field
MACRO telemetry.known_field(f) AS TRY_CAST(f AS ENUM('fx', 'fy', 'fz', 'x', 'y', 'z'))
-- telemetry.known_sensor_type
MACRO telemetry.known_sensor_type(s) AS TRY_CAST(s AS ENUM('encoder', 'load_cell'))
-- telemetry.reading_defect
MACRO telemetry.reading_defect(time, value, field, robot_id, run_uuid, sensor_type, unparsed) AS CASE  WHEN ((unparsed IS NOT NULL)) THEN (unparsed) WHEN ((run_uuid IS NULL)) THEN ('run_uuid is missing') WHEN (("time" IS NULL)) THEN ('time is missing') WHEN ((NOT meta.plausible_year("time"))) THEN (((('time is outside the years ' || meta.plausible_years()) || ': ') || "time")) WHEN (("value" IS NULL)) THEN ('value is missing') WHEN (isnan("value")) THEN ('value is NaN') WHEN (isinf("value")) THEN ('value is infinite') WHEN ((robot_id IS NULL)) THEN ('robot_id is missing') WHEN ((NOT (robot_id IN (1, 2)))) THEN (('robot_id is not 1 or 2: ' || robot_id)) WHEN ((field IS NULL)) THEN ('field is missing') WHEN ((CAST(sensor_type AS VARCHAR) IS DISTINCT FROM telemetry.sensor_of(CAST(field AS VARCHAR)))) THEN (((('field ' || CAST(field AS VARCHAR)) || ' is not reported by sensor_type ') || COALESCE(CAST(sensor_type AS VARCHAR), 'NULL'))) ELSE NULL END
-- telemetry.sensor_of
MACRO telemetry.sensor_of(field) AS CASE  WHEN ((field IN ('x', 'y', 'z'))) THEN ('encoder') WHEN ((field IN ('fx', 'fy', 'fz'))) THEN ('load_cell') ELSE NULL END
-- telemetry.unparsed
MACRO telemetry.unparsed(time, value, field, robot_id, run_uuid, sensor_type) AS CAST(CASE  WHEN (((typeof("time") = 'TIMESTAMP') AND (typeof("value") = 'DOUBLE') AND (typeof(robot_id) = 'BIGINT') AND (typeof(run_uuid) = 'UBIGINT') AND ((field IS NULL) OR (telemetry.known_field(field) IS NOT NULL)) AND ((sensor_type IS NULL) OR (telemetry.known_sensor_type(sensor_type) IS NOT NULL)))) THEN (NULL) ELSE "nullif"(concat_ws('; ', CASE  WHEN ((("time" IS NOT NULL) AND (meta.timestamp_of("time") IS NULL))) THEN (((('time ' || meta.timestamp_problem("time")) || ': ') || "time")) ELSE NULL END, CASE  WHEN ((("value" IS NOT NULL) AND (meta.double_of("value") IS NULL))) THEN (('value is not a number: ' || "value")) ELSE NULL END, CASE  WHEN (((field IS NOT NULL) AND (telemetry.known_field(field) IS NULL))) THEN (('unknown field: ' || field)) ELSE NULL END, CASE  WHEN (((robot_id IS NOT NULL) AND (meta.integer_of(robot_id) IS NULL))) THEN (('robot_id is not an integer: ' || robot_id)) ELSE NULL END, CASE  WHEN (((run_uuid IS NOT NULL) AND (meta.uinteger_of(run_uuid) IS NULL))) THEN (('run_uuid is not an unsigned 64-bit integer: ' || run_uuid)) ELSE NULL END, CASE  WHEN (((sensor_type IS NOT NULL) AND (telemetry.known_sensor_type(sensor_type) IS NULL))) THEN (('unknown sensor_type: ' || sensor_type)) ELSE NULL END), '') END AS VARCHAR)
