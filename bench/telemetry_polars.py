"""The telemetry pipeline as a Polars user would write it: the second baseline for bench/telemetry.sh.

The same steps and outputs as bench/telemetry_pandas.py (the features of every run on the 10 ms grid
written to OUT.parquet, the same columns, rows and values; the per-run statistics printed), as lazy
queries run on Polars' streaming engine, the pivot aside (eager, it is faster): scan every file, drop
invalid rows, drop duplicate readings (first kept), flag single-sample spikes (same rule as is_spike in
src/telemetry/sweep.rs), pivot to one column per robot and field holding the mean of its clean readings
in each 10 ms bucket, every bucket of each run (forward fill, back fill), velocities and accelerations,
norms, distance, and per-run statistics.
Usage: python telemetry_polars.py DIR OUT.parquet
"""
import sys

import polars as pl

FIELDS = {"x": "encoder", "y": "encoder", "z": "encoder", "fx": "load_cell", "fy": "load_cell", "fz": "load_cell"}
ENCODER_FIELDS = [f for f, sensor in FIELDS.items() if sensor == "encoder"]
FIELD = pl.Enum(sorted(FIELDS))  # fx, fy, fz, x, y, z: sorts like the strings, compares like integers
SERIES = ["run_uuid", "robot_id", "field"]
GRID = "10ms"
# The wide columns, named and ordered as pandas' pivot makes them: fx_1, fx_2, fy_1, ..., z_2.
WIDE = {(f, r): f"{f}_{r}" for f in FIELD.categories for r in (1, 2)}
PIVOT_COLUMNS = pl.DataFrame(list(WIDE), schema={"field": FIELD, "robot_id": pl.UInt8}, orient="row")


def load(folder):
    # The files in path order, as pandas reads them; run_uuid stays a UInt64 with nulls.
    return pl.scan_parquet(f"{folder}/*.parquet")


def clean(readings):
    prev, nxt = pl.col("value").shift(1), pl.col("value").shift(-1)
    threshold = pl.max_horizontal(pl.when("encoder").then(25.0).otherwise(500.0), 10 * (nxt - prev).abs())
    is_spike = ((pl.col("value") - (prev + nxt) / 2).abs() > threshold).fill_null(False)
    return (
        readings.filter(
            pl.col("run_uuid").is_not_null(),
            pl.col("time").is_not_null(),
            pl.col("value").is_finite(),
            pl.col("robot_id").is_in([1, 2]),
            pl.col("field").is_in(list(FIELDS)),
            # the sensor of the field (when/then: a replace_strict mapping doubled the peak memory here)
            pl.col("sensor_type")
            == pl.when(pl.col("field").is_in(ENCODER_FIELDS)).then(pl.lit("encoder")).otherwise(pl.lit("load_cell")),
        )
        # Narrow columns before the sort: the field as an enum, the sensor type as a flag.
        .select(
            "run_uuid",
            pl.col("robot_id").cast(pl.UInt8),
            pl.col("field").cast(FIELD),
            "time",
            "value",
            encoder=pl.col("sensor_type") == "encoder",
        )
        # A stable sort keeps the repeats of an instant in file and row order: the first one is kept.
        .sort(*SERIES, "time", maintain_order=True)
        .unique([*SERIES, "time"], keep="first", maintain_order=True)
        .with_columns(is_spike=is_spike.over(SERIES))
        .drop("encoder")
    )


def features(readings):
    # The pivot, on the buckets: per run and 10 ms bucket, the mean of each robot's field. Eager, on the
    # collected buckets: DataFrame.pivot took 2/3 of the time of LazyFrame.pivot, which plans one filtered
    # mean per column.
    buckets = (
        readings.filter(~pl.col("is_spike"))
        .select("run_uuid", pl.col("time").dt.truncate(GRID), "field", "robot_id", "value")
        .collect(engine="streaming")
        .pivot(["field", "robot_id"], on_columns=PIVOT_COLUMNS, index=["run_uuid", "time"], values="value",
               aggregate_function="mean")
        .rename({f'{{"{f}",{r}}}': name for (f, r), name in WIDE.items()})  # '{"fx",1}' -> 'fx_1'
        .lazy()
    )
    # Every bucket from the run's first to its last, the empty ones carried forward, then back.
    grid = (
        buckets.group_by("run_uuid")
        .agg(pl.datetime_range(pl.col("time").min(), pl.col("time").max(), GRID))
        .explode("time")
        .join(buckets, on=["run_uuid", "time"], how="left")
        .sort("run_uuid", "time")
        .with_columns(pl.col(WIDE.values()).forward_fill().backward_fill().over("run_uuid"))
    )
    dt = pl.col("time").diff().dt.total_seconds(fractional=True)
    rates, norms, columns = [], [], ["run_uuid", *WIDE.values()]
    for r in (1, 2):
        for a in "xyz":
            v = pl.col(f"{a}_{r}").diff() / dt
            rates += [v.alias(f"v{a}_{r}"), (v.diff() / dt).alias(f"a{a}_{r}")]
        norms += [
            norm(pl.col(f"v{a}_{r}") for a in "xyz").alias(f"v{r}"),
            norm(pl.col(f"a{a}_{r}") for a in "xyz").alias(f"a{r}"),
            norm(pl.col(f"{a}_{r}").diff().over("run_uuid") for a in "xyz").alias(f"d{r}"),
        ]
        columns += [e.meta.output_name() for e in rates[-6:] + norms[-3:]]
    forces = [norm(pl.col(f"f{a}_{r}") for a in "xyz").alias(f"f{r}") for r in (1, 2)]
    return (
        grid.with_columns(e.over("run_uuid") for e in rates)
        .with_columns(*norms, *forces)
        # pandas' order for a run with every sensor, its index (time) last
        .select(*columns, "f1", "f2", "time")
    )


def norm(components):
    # as pandas: 0 + x**2 + y**2 + z**2, NULL when a component is
    return sum(c**2 for c in components).sqrt()


def statistics(readings, feats):
    def of_sensor(column, value):
        # NULL when the run has no reading of that sensor (in pandas its column is not in the pivot)
        return pl.when(pl.col(column).is_not_null().any()).then(value)

    per_robot = []
    for r in (1, 2):
        per_robot += [
            of_sensor(f"x_{r}", pl.col(f"d{r}").sum()).alias(f"distance_{r}"),
            of_sensor(f"x_{r}", pl.col(f"v{r}").mean()).alias(f"mean_speed_{r}"),
            of_sensor(f"x_{r}", pl.col(f"v{r}").max()).alias(f"max_speed_{r}"),
            of_sensor(f"fx_{r}", pl.col(f"f{r}").max()).alias(f"max_force_{r}"),
        ]
    return (
        readings.group_by("run_uuid")
        .agg(start_time=pl.col("time").min(), stop_time=pl.col("time").max(), spikes=pl.col("is_spike").sum())
        .with_columns(runtime_s=(pl.col("stop_time") - pl.col("start_time")).dt.total_seconds(fractional=True))
        .join(feats.group_by("run_uuid").agg(per_robot), on="run_uuid", how="left")
        .select("run_uuid", "start_time", "stop_time", "runtime_s", *[e.meta.output_name() for e in per_robot], "spikes")
        .sort("run_uuid")
    )


def main(folder, out):
    # The clean readings feed both the grid and the statistics: sorted once, kept in memory.
    readings = clean(load(folder)).collect(engine="streaming").lazy()
    feats = features(readings)
    # Both in one plan: the features are computed once, written to the file and reduced per run.
    _, stats = pl.collect_all([feats.sink_parquet(out, lazy=True), statistics(readings, feats)], engine="streaming")
    with pl.Config(tbl_rows=5, tbl_cols=-1, tbl_width_chars=250, tbl_hide_dataframe_shape=True):
        print(stats)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
