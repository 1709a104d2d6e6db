"""What both bulk loads on Spark share (spark/bulk_load.py, spark/bulk_load_telemetry.py): listing the
delivered files, hashing them on the executors, a task running our binary on its share of the files and
exporting its rows as Parquet parts, and the accounting summed over tasks. Shipped to the executors by
the driver (SparkContext.addPyFile).
"""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

from pyspark import SparkFiles


def start(app_name):
    """What both loaders begin with: their command line (--input, --out, --tasks, --compare), a Spark
    session in UTC that ships this module to the executors, and the number of tasks."""
    import argparse
    from pyspark.sql import SparkSession
    p = argparse.ArgumentParser()
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--tasks", type=int, default=0)
    p.add_argument("--compare", default=None)
    a = p.parse_args()
    spark = (SparkSession.builder.appName(app_name)
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    sc = spark.sparkContext
    sc.addPyFile(os.path.abspath(__file__))
    tasks = a.tasks or max(2, sc.defaultParallelism * 2)
    return a, spark, sc, tasks


def delivered_files(folder, extensions):
    """Every file under `folder` ending in one of `extensions`, absolute and sorted."""
    files = sorted(os.path.abspath(f) for ext in extensions
                   for f in glob.glob(os.path.join(folder, "**", f"*.{ext}"), recursive=True) if os.path.isfile(f))
    if not files:
        raise SystemExit(f"no {' or '.join('.' + e for e in extensions)} files under {folder}")
    return files


def content_hash(path):
    """blake2b of a file's bytes, read on an executor."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fresh_parts(out, name, tables):
    """LAKE/<name>/<table>/ for each table, emptied: where the tasks write their parts."""
    parts = os.path.join(os.path.abspath(out), name)
    shutil.rmtree(parts, ignore_errors=True)
    for table in tables:
        os.makedirs(os.path.join(parts, table))
    return parts


def _run(args):
    done = subprocess.run(args, capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def load_share(index, paths, parts, dataset, exports):
    """One task: our binary (shipped with --files) loads these files into a warehouse of its own; each
    query of `exports` (table name: SELECT) is written to parts/<table>/task-<index>.parquet, and the
    task's ledger rows are returned. A retried task overwrites its own parts."""
    if not paths:
        return []
    binary = SparkFiles.get("exercise")
    os.chmod(binary, 0o755)
    work = tempfile.mkdtemp(prefix="exercise-task-")
    try:
        db = os.path.join(work, "task.db")
        code, out, err = _run([binary, "--db", db, "ingest-data", "--dataset", dataset, "--no-check",
                               "--max-rejects", str(10 ** 15), *paths])
        if code not in (0, 1):
            raise RuntimeError(f"exercise ingest-data exited {code}: {err[-2000:]}")
        for table, select in exports.items():
            target = os.path.join(parts, table, f"task-{index:05d}.parquet")
            code, out, err = _run([binary, "--db", db, "query", "--write",
                                   f"COPY ({select}) TO '{target}' (FORMAT parquet)"])
            if code != 0:
                raise RuntimeError(f"exporting {table}: {err[-2000:]}")
        code, out, err = _run([binary, "--db", db, "query", "--format", "json",
                               "SELECT path, status, rows_read, rows_inserted, rows_duplicate, rows_rejected, "
                               "message FROM meta.file_loads"])
        if code != 0:
            raise RuntimeError(f"reading the task's ledger: {err[-2000:]}")
        return [dict(json.loads(line), task=index) for line in out.splitlines() if line.strip()]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def account(ledger, copies, tasks):
    """Prints the accounting summed over tasks, a re-delivered file's rows counted as read and duplicate;
    returns (totals, problems)."""
    loaded = {r["path"]: r for r in ledger if r["status"] == "loaded"}
    failed = [r for r in ledger if r["status"] == "failed"]
    total = {k: sum(r[k] for r in loaded.values()) for k in ("rows_read", "rows_inserted", "rows_duplicate", "rows_rejected")}
    copy_rows = sum(loaded[r.kept_path]["rows_read"] for r in copies if r.kept_path in loaded)
    total["rows_read"] += copy_rows
    total["rows_duplicate"] += copy_rows
    balanced = total["rows_read"] == total["rows_inserted"] + total["rows_duplicate"] + total["rows_rejected"]
    print(f"tasks: {tasks}; files loaded {len(loaded)}, failed {len(failed)}")
    print(f"read {total['rows_read']} = inserted {total['rows_inserted']} + duplicates {total['rows_duplicate']} "
          f"+ rejected {total['rows_rejected']}{'' if balanced else '  (DOES NOT BALANCE)'}")
    for r in failed[:10]:
        print(f"failed: {r['path']}: {r['message']}")
    return total, ([] if balanced else ["the accounting does not balance"])


def finish(spark, problems, compared):
    spark.stop()
    for problem in problems:
        print(f"FAIL {problem}")
    if compared and not problems:
        print("equal to the single-machine load")
    return 1 if problems else 0
