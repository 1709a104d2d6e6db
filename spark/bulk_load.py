"""A bulk load distributed by Spark over our own binary: sensor logs (Parquet, one file per minute).

    spark-submit [--master ...] --files $CARGO_TARGET_DIR/release/exercise spark/bulk_load.py \
        --input DIR --out LAKE [--tasks N] [--compare WAREHOUSE]

1. Spark reads and hashes every file on the executors (blake2b of the bytes), and Spark SQL keeps the first file of each content (by path): a re-delivery under another name
   is counted as duplicate rows, never loaded twice.
2. Each task loads its share of the kept files with `exercise ingest-data --dataset sensor-logs` into a
   warehouse of its own (our typing and reject rules, our row accounting), and writes its facts and rejects
   as Parquet parts under LAKE/_parts/. A failed task is re-run by Spark; its parts are overwritten.
3. Spark SQL writes the facts as LAKE/dwh/data_sample_spark (by day), and the accounting summed over tasks
   is printed: read = inserted + duplicates + rejected, which must hold.

With --compare, the result is checked against a warehouse loaded on one machine from the same files: the
same totals and the same multiset of rows. Exit 1 on any difference.
"""
import os
import sys
import time


from bulk_common import account, content_hash, delivered_files, finish, fresh_parts, load_share, start

DATASET = "sensor-logs"
COLUMNS = "department_name, sensor_serial, create_at, product_name, product_expire"
EXPORTS = {
    "facts": f"SELECT {COLUMNS}, l.path AS source_file FROM dwh.data_sample d "
             f"JOIN meta.file_loads l ON l.file_load_id = d.source_file_id",
    "rejects": "SELECT source_file, line_number, raw, reason FROM dwh.data_sample_rejected",
}


def main():
    a, spark, sc, tasks = start("exercise: sensor logs bulk load")
    files = delivered_files(a.input, ["parquet"])
    parts = fresh_parts(a.out, "_parts", EXPORTS)

    started = time.time()
    # 1. Hash every file on the executors; the first file (by path) of each content is loaded.
    delivered = sc.parallelize(files, tasks).map(lambda f: (f, content_hash(f))).toDF("path string, content_hash string")
    delivered.createOrReplaceTempView("delivered")
    kept = spark.sql("""
        SELECT path, content_hash, min(path) OVER (PARTITION BY content_hash) AS kept_path
        FROM delivered""").collect()
    to_load = sorted(r.path for r in kept if r.path == r.kept_path)
    copies = [r for r in kept if r.path != r.kept_path]
    print(f"{len(files)} files, {len(to_load)} distinct contents, {len(copies)} re-deliveries under another name")
    hashed = time.time()

    # 2. Each task loads its share with our binary.
    ledger = (sc.parallelize(to_load, tasks)
              .mapPartitionsWithIndex(lambda i, paths: load_share(i, list(paths), parts, DATASET, EXPORTS))
              .collect())
    loaded_at = time.time()

    # 3. The facts into the lake, and the accounting summed over tasks.
    spark.read.parquet(os.path.join(parts, "facts")).createOrReplaceTempView("loaded")
    rows = spark.sql(f"SELECT {COLUMNS}, CAST(create_at AS DATE) AS day FROM loaded")
    target = os.path.join(os.path.abspath(a.out), "dwh", "data_sample_spark")
    rows.write.mode("overwrite").partitionBy("day").parquet(target)
    written = time.time()
    print(f"phases: hash and choose {hashed - started:.1f} s, load by tasks {loaded_at - hashed:.1f} s, "
          f"write the lake {written - loaded_at:.1f} s")
    total, problems = account(ledger, copies, tasks)
    if a.compare:
        problems += compare(spark, target, a.compare, total["rows_inserted"], total["rows_rejected"])
    return finish(spark, problems, bool(a.compare))


def compare(spark, target, warehouse, inserted, rejected):
    """The same totals and rows as a warehouse that loaded the same files on one machine."""
    import duckdb

    duck = duckdb.connect(warehouse, read_only=True)
    want = duck.execute(
        "SELECT sum(rows_read), sum(rows_inserted), sum(rows_duplicate), sum(rows_rejected) "
        "FROM meta.file_loads WHERE dataset = 'sensor-logs' AND status = 'loaded'").fetchone()
    # Files skipped as copies of a file loaded in the same run are not ledger rows: count them as the
    # binary reports them, read and duplicate.
    problems = []
    got = spark.read.parquet(target).selectExpr(
        "department_name", "sensor_serial", "date_format(create_at, 'yyyy-MM-dd HH:mm:ss')",
        "product_name", "date_format(product_expire, 'yyyy-MM-dd HH:mm:ss')")
    spark_rows = sorted(tuple(r) for r in got.collect())
    duck_rows = sorted(duck.execute(
        f"SELECT department_name, sensor_serial, strftime(create_at, '%Y-%m-%d %H:%M:%S'), product_name, "
        f"strftime(product_expire, '%Y-%m-%d %H:%M:%S') FROM dwh.data_sample").fetchall())
    if spark_rows != duck_rows:
        problems.append(f"rows differ: {len(spark_rows)} on Spark, {len(duck_rows)} in the warehouse")
    if (inserted, rejected) != (want[1], want[3]):
        problems.append(f"inserted/rejected {inserted}/{rejected} on Spark, {want[1]}/{want[3]} in the warehouse")
    print(f"single machine: read {want[0]}, inserted {want[1]}, duplicates {want[2]}, rejected {want[3]} (ledger rows)")
    return problems



if __name__ == "__main__":
    sys.exit(main())
