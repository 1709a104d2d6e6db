"""The telemetry pipeline as a data scientist would write it in pandas: the baseline for bench/telemetry.sh.

Same steps as `exercise ingest-data --dataset telemetry` up to run_statistics: read every file, drop
invalid rows, drop duplicate readings (first kept), flag single-sample spikes (same rule as is_spike in
src/telemetry/sweep.rs), pivot to one column per robot and field, resample each run to a 10 ms
grid (bucket mean, forward fill, back fill), velocities and accelerations, norms, distance, and per-run
statistics. Usage: python telemetry_pandas.py DIR OUT.parquet
"""
import glob
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

FIELDS = {"x": "encoder", "y": "encoder", "z": "encoder", "fx": "load_cell", "fy": "load_cell", "fz": "load_cell"}


def load(folder):
    # run_uuid is a UINT64 with nulls: plain read_parquet would make it float64 and corrupt the ids
    # (and merge runs), so it is read as pandas' nullable UInt64.
    uint64 = {pa.uint64(): pd.UInt64Dtype()}.get
    frames = [pq.read_table(f).to_pandas(types_mapper=uint64) for f in sorted(glob.glob(f"{folder}/*.parquet"))]
    return pd.concat(frames, ignore_index=True)


def clean(df):
    ok = (
        df["run_uuid"].notna()
        & df["time"].notna()
        & np.isfinite(df["value"])
        & df["robot_id"].isin([1, 2])
        & df["field"].isin(list(FIELDS))
        & (df["sensor_type"] == df["field"].map(FIELDS))
    )
    df = df[ok]
    df = df.drop_duplicates(subset=["run_uuid", "robot_id", "field", "time"], keep="first")
    df = df.sort_values(["run_uuid", "robot_id", "field", "time"])
    g = df.groupby(["run_uuid", "robot_id", "field"])["value"]
    prev, nxt = g.shift(1), g.shift(-1)
    threshold = np.maximum(np.where(df["sensor_type"] == "encoder", 25.0, 500.0), 10 * (nxt - prev).abs())
    df = df.assign(is_spike=((df["value"] - (prev + nxt) / 2).abs() > threshold).fillna(False))
    return df


def features(run):
    wide = run.pivot_table(index="time", columns=["field", "robot_id"], values="value", aggfunc="mean")
    wide.columns = [f"{f}_{r}" for f, r in wide.columns]
    grid = wide.resample("10ms").mean().ffill().bfill()
    dt = grid.index.to_series().diff().dt.total_seconds()
    out = grid.copy()
    for r in (1, 2):
        if f"x_{r}" not in grid:
            continue
        for a in "xyz":
            out[f"v{a}_{r}"] = grid[f"{a}_{r}"].diff() / dt
            out[f"a{a}_{r}"] = out[f"v{a}_{r}"].diff() / dt
        out[f"v{r}"] = np.sqrt(sum(out[f"v{a}_{r}"] ** 2 for a in "xyz"))
        out[f"a{r}"] = np.sqrt(sum(out[f"a{a}_{r}"] ** 2 for a in "xyz"))
        out[f"d{r}"] = np.sqrt(sum(grid[f"{a}_{r}"].diff() ** 2 for a in "xyz"))
    for r in (1, 2):
        if f"fx_{r}" in grid:
            out[f"f{r}"] = np.sqrt(sum(grid[f"f{a}_{r}"] ** 2 for a in "xyz"))
    return out


def statistics(uuid, run, feats):
    row = {"run_uuid": uuid, "start_time": run["time"].min(), "stop_time": run["time"].max()}
    row["runtime_s"] = (row["stop_time"] - row["start_time"]).total_seconds()
    for r in (1, 2):
        for name, col, how in (("distance", f"d{r}", "sum"), ("mean_speed", f"v{r}", "mean"),
                               ("max_speed", f"v{r}", "max"), ("max_force", f"f{r}", "max")):
            row[f"{name}_{r}"] = getattr(feats[col], how)() if col in feats else None
    row["spikes"] = int(run["is_spike"].sum())
    return row


def main(folder, out):
    df = clean(load(folder))
    stats, all_features = [], []
    for uuid, run in df.groupby("run_uuid"):
        feats = features(run[~run["is_spike"]])
        feats.insert(0, "run_uuid", uuid)
        all_features.append(feats)
        stats.append(statistics(uuid, run, feats))
    pd.concat(all_features).to_parquet(out)
    print(pd.DataFrame(stats).to_string(max_rows=5))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
