"""Robot telemetry loaded by Spark over our own binary: every file of a run reaches the same task.

    spark-submit [--master ...] --files $CARGO_TARGET_DIR/release/exercise spark/bulk_load_telemetry.py \
        --input DIR --out LAKE [--tasks N] [--compare WAREHOUSE]

1. The executors hash every file (blake2b) and read the runs it holds (its distinct run_uuid values);
   Spark SQL keeps the first file (by path) of each content, and files that share a run are grouped, so a
   run's readings are derived together (the sweep's grid needs all of them).
2. Each task loads its groups with `exercise ingest-data --dataset telemetry` into a warehouse of its own
   (our typing, rejects, duplicates, spikes and grid) and exports run_grid, run_sensors and
   readings_rejected as Parquet parts; a retried task overwrites its own parts.
3. Spark writes LAKE/telemetry/{run_grid,run_sensors,readings_rejected}_spark and prints the accounting
   summed over tasks: read = inserted + duplicates + rejected.

With --compare, run_grid and run_sensors are checked against a warehouse that loaded the same files on
one machine (same rows; doubles within 1e-9 relative). Exit 1 on any difference.
"""
import math
import os
import sys
import time


from bulk_common import account, content_hash, delivered_files, finish, fresh_parts, load_share, start

TABLES = {
    "run_grid": "SELECT * FROM telemetry.run_grid",
    "run_sensors": "SELECT * FROM telemetry.run_sensors",
    "readings_rejected": "SELECT run_uuid, source_file, line_number, raw, reason FROM telemetry.readings_rejected",
}


def file_facts(path):
    """(path, content hash, the runs in the file) of one file, read on an executor."""
    import duckdb

    pattern = "".join(f"[{c}]" if c in "*?[" else c for c in path).replace("'", "''")  # a file name is data
    reader = f"read_parquet('{pattern}')" if path.endswith(".parquet") else f"read_csv('{pattern}', all_varchar = true)"
    try:
        runs = [str(r[0]) for r in duckdb.connect().execute(
            f"SELECT DISTINCT CAST(run_uuid AS VARCHAR) FROM {reader} WHERE run_uuid IS NOT NULL").fetchall()]
    except Exception:  # unreadable or foreign: our binary says why and records it as failed
        runs = []
    return (path, content_hash(path), runs)


def groups_of(files):
    """Files that share a run, together (union-find over runs), in path order."""
    parent = {f: f for f in files}

    def find(f):
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    first_file_of_run = {}
    for path, runs in files.items():
        for run in runs:
            if run in first_file_of_run:
                a, b = find(path), find(first_file_of_run[run])
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_file_of_run[run] = path
    groups = {}
    for path in sorted(files):
        groups.setdefault(find(path), []).append(path)
    return sorted(groups.values())


def main():
    a, spark, sc, tasks = start("exercise: telemetry bulk load")
    files = delivered_files(a.input, ["parquet", "csv"])
    parts = fresh_parts(a.out, "_parts_telemetry", TABLES)
    started = time.time()

    delivered = sc.parallelize(files, tasks).map(file_facts).toDF("path string, content_hash string, runs array<string>")
    delivered.createOrReplaceTempView("delivered")
    chosen = spark.sql("""
        SELECT path, runs, min(path) OVER (PARTITION BY content_hash) AS kept_path FROM delivered""").collect()
    kept = {r.path: r.runs for r in chosen if r.path == r.kept_path}
    copies = [r for r in chosen if r.path != r.kept_path]
    groups = groups_of(kept)
    print(f"{len(files)} files, {len(kept)} distinct contents, {len(copies)} re-deliveries under another name, "
          f"{len(groups)} groups of files sharing runs")
    hashed = time.time()

    tasks = min(tasks, len(groups))
    ledger = (sc.parallelize(groups, tasks)
              .mapPartitionsWithIndex(lambda i, gs: load_share(i, [p for g in gs for p in g], parts, "telemetry", TABLES))
              .collect())
    loaded_at = time.time()

    target = os.path.join(os.path.abspath(a.out), "telemetry")
    for table in TABLES:
        writer = spark.read.parquet(os.path.join(parts, table)).write.mode("overwrite")
        if table == "run_grid":
            writer = writer.partitionBy("run_uuid")
        writer.parquet(os.path.join(target, f"{table}_spark"))
    written = time.time()
    print(f"phases: hash and group {hashed - started:.1f} s, load by tasks {loaded_at - hashed:.1f} s, "
          f"write the lake {written - loaded_at:.1f} s")
    _, problems = account(ledger, copies, tasks)
    if a.compare:
        problems += compare(spark, target, a.compare)
    return finish(spark, problems, bool(a.compare))


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def compare(spark, target, warehouse):
    """run_grid and run_sensors as a single-machine load of the same files left them."""
    import decimal

    import duckdb

    duck = duckdb.connect(warehouse, read_only=True)
    problems = []
    for table in ("run_grid", "run_sensors"):
        df = spark.read.parquet(os.path.join(target, f"{table}_spark"))
        cols = [c for c in duck.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'telemetry' AND table_name = ? "
            "ORDER BY column_index", [table]).fetchall()]
        names = [c[0] for c in cols]

        def norm(v):
            return int(v) if isinstance(v, decimal.Decimal) else v
        got = sorted((tuple(norm(v) for v in r) for r in df.select(*names).collect()), key=repr)
        want = sorted((tuple(norm(v) for v in r) for r in duck.execute(
            f"SELECT {', '.join(chr(34) + n + chr(34) for n in names)} FROM telemetry.{table}").fetchall()), key=repr)
        if len(got) != len(want):
            problems.append(f"{table}: {len(got)} rows on Spark, {len(want)} on one machine")
            continue
        bad = next((i for i, (x, y) in enumerate(zip(got, want)) if not all(same(p, q) for p, q in zip(x, y))), None)
        if bad is not None:
            problems.append(f"{table}: row {bad} differs: Spark {got[bad]!r}, one machine {want[bad]!r}")
        print(f"{table}: {len(got)} rows compared")
    return problems


if __name__ == "__main__":
    sys.exit(main())
