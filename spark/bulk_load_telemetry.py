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
import argparse
import glob
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

from pyspark import SparkFiles
from pyspark.sql import SparkSession

TABLES = {
    "run_grid": "SELECT * FROM telemetry.run_grid",
    "run_sensors": "SELECT * FROM telemetry.run_sensors",
    "readings_rejected": "SELECT run_uuid, source_file, line_number, raw, reason FROM telemetry.readings_rejected",
}


def file_facts(path):
    """(path, content hash, the runs in the file) of one file, read on an executor."""
    import duckdb

    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    pattern = "".join(f"[{c}]" if c in "*?[" else c for c in path).replace("'", "''")  # a file name is data
    reader = f"read_parquet('{pattern}')" if path.endswith(".parquet") else f"read_csv('{pattern}', all_varchar = true)"
    try:
        runs = [str(r[0]) for r in duckdb.connect().execute(
            f"SELECT DISTINCT CAST(run_uuid AS VARCHAR) FROM {reader} WHERE run_uuid IS NOT NULL").fetchall()]
    except Exception:  # unreadable or foreign: our binary says why and records it as failed
        runs = []
    return (path, h.hexdigest(), runs)


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


def run(args):
    done = subprocess.run(args, capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def load_share(index, groups, parts):
    paths = [p for group in groups for p in group]
    if not paths:
        return []
    binary = SparkFiles.get("exercise")
    os.chmod(binary, 0o755)
    work = tempfile.mkdtemp(prefix="exercise-task-")
    try:
        db = os.path.join(work, "task.db")
        code, out, err = run([binary, "--db", db, "ingest-data", "--dataset", "telemetry", "--no-check",
                              "--max-rejects", str(10 ** 15), *paths])
        if code not in (0, 1):
            raise RuntimeError(f"exercise ingest-data exited {code}: {err[-2000:]}")
        for table, select in TABLES.items():
            target = os.path.join(parts, table, f"task-{index:05d}.parquet")
            code, out, err = run([binary, "--db", db, "query", "--write",
                                  f"COPY ({select}) TO '{target}' (FORMAT parquet)"])
            if code != 0:
                raise RuntimeError(f"exporting {table}: {err[-2000:]}")
        code, out, err = run([binary, "--db", db, "query", "--format", "json",
                              "SELECT path, status, rows_read, rows_inserted, rows_duplicate, rows_rejected, "
                              "message FROM meta.file_loads"])
        if code != 0:
            raise RuntimeError(f"reading the task's ledger: {err[-2000:]}")
        return [dict(json.loads(line), task=index) for line in out.splitlines() if line.strip()]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--tasks", type=int, default=0)
    p.add_argument("--compare", default=None)
    a = p.parse_args()

    spark = (SparkSession.builder.appName("exercise: telemetry bulk load")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    sc = spark.sparkContext
    files = sorted(os.path.abspath(f) for ext in ("parquet", "csv")
                   for f in glob.glob(os.path.join(a.input, "**", f"*.{ext}"), recursive=True) if os.path.isfile(f))
    if not files:
        raise SystemExit(f"no .parquet or .csv files under {a.input}")
    tasks = a.tasks or max(2, sc.defaultParallelism * 2)
    parts = os.path.join(os.path.abspath(a.out), "_parts_telemetry")
    shutil.rmtree(parts, ignore_errors=True)
    for table in TABLES:
        os.makedirs(os.path.join(parts, table))
    started = time.time()

    facts = sc.parallelize(files, tasks).map(file_facts).toDF("path string, content_hash string, runs array<string>")
    facts.createOrReplaceTempView("delivered")
    chosen = spark.sql("""
        SELECT path, runs, min(path) OVER (PARTITION BY content_hash) AS kept_path FROM delivered""").collect()
    kept = {r.path: r.runs for r in chosen if r.path == r.kept_path}
    copies = [r for r in chosen if r.path != r.kept_path]
    groups = groups_of(kept)
    print(f"{len(files)} files, {len(kept)} distinct contents, {len(copies)} re-deliveries under another name, "
          f"{len(groups)} groups of files sharing runs")
    hashed = time.time()

    ledger = (sc.parallelize(groups, min(tasks, len(groups)))
              .mapPartitionsWithIndex(lambda i, gs: load_share(i, list(gs), parts))
              .collect())
    loaded_at = time.time()

    target = os.path.join(os.path.abspath(a.out), "telemetry")
    for table in TABLES:
        df = spark.read.parquet(os.path.join(parts, table))
        writer = df.write.mode("overwrite")
        if table == "run_grid":
            writer = writer.partitionBy("run_uuid")
        writer.parquet(os.path.join(target, f"{table}_spark"))
    written = time.time()
    print(f"phases: hash and group {hashed - started:.1f} s, load by tasks {loaded_at - hashed:.1f} s, "
          f"write the lake {written - loaded_at:.1f} s")

    loaded = {r["path"]: r for r in ledger if r["status"] == "loaded"}
    failed = [r for r in ledger if r["status"] == "failed"]
    total = {k: sum(r[k] for r in loaded.values()) for k in ("rows_read", "rows_inserted", "rows_duplicate", "rows_rejected")}
    copy_rows = sum(loaded[r.kept_path]["rows_read"] for r in copies if r.kept_path in loaded)
    read, duplicates = total["rows_read"] + copy_rows, total["rows_duplicate"] + copy_rows
    balanced = read == total["rows_inserted"] + duplicates + total["rows_rejected"]
    print(f"tasks: {min(tasks, len(groups))}; files loaded {len(loaded)}, failed {len(failed)}")
    print(f"read {read} = inserted {total['rows_inserted']} + duplicates {duplicates} + rejected {total['rows_rejected']}"
          f"{'' if balanced else '  (DOES NOT BALANCE)'}")
    for r in failed[:10]:
        print(f"failed: {r['path']}: {r['message']}")
    problems = [] if balanced else ["the accounting does not balance"]
    if a.compare:
        problems += compare(spark, target, a.compare)
    spark.stop()
    for problem in problems:
        print(f"FAIL {problem}")
    if a.compare and not problems:
        print("equal to the single-machine load")
    return 1 if problems else 0


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
