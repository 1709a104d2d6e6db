"""The warehouse's views on Apache Spark, proven equal to DuckDB.

Registers every relation of a lake written by `exercise publish` (DIR/_manifest.json) as a table of
Spark's catalog, builds the Spark SQL port of every view (sql/spark/<schema>/<name>.sql) in dependency
order, and compares each port's rows with the same view queried by DuckDB in the warehouse: exact for
keys, counts, integers, strings, dates and times; 1e-9 relative for doubles. A view of sql/views/ with
neither a port nor a reason in sql/spark/not_ported.toml fails. On a cluster, also checks that every
executor ran tasks.

    spark-submit [--master spark://HOST:7077] spark/lake_views.py --lake DIR --warehouse FILE [--expect-executors N]

Exit 0 when every port equals DuckDB; 1 otherwise, with the differences printed.
"""
import argparse
import datetime
import decimal
import glob
import json
import math
import os
import re
import sys
import tomllib
import urllib.request

import duckdb
from pyspark.sql import SparkSession

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORTS = os.path.join(ROOT, "sql", "spark")
VIEWS = os.path.join(ROOT, "sql", "views")


def relation_of(path, root):
    schema, file = os.path.relpath(path, root).split(os.sep)
    return f"{schema}.{file[:-4]}"


def ports():
    found = {}
    for path in sorted(glob.glob(os.path.join(PORTS, "*", "*.sql"))):
        with open(path) as f:
            found[relation_of(path, PORTS)] = f.read().strip().rstrip(";")
    return found


def duckdb_views():
    return [relation_of(p, VIEWS) for p in sorted(glob.glob(os.path.join(VIEWS, "*", "*.sql")))
            if not os.path.basename(os.path.dirname(p)).startswith("_")]


def in_dependency_order(found):
    """A port after every port it names (as schema.name)."""
    ordered, pending = [], dict(found)
    while pending:
        ready = [n for n, sql in pending.items()
                 if not any(other != n and re.search(r"\b" + re.escape(other) + r"\b", sql) for other in pending)]
        if not ready:
            raise SystemExit(f"ports name each other in a circle: {sorted(pending)}")
        for n in sorted(ready):
            ordered.append(n)
            del pending[n]
    return ordered


def normalise(value):
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def sort_key(row):
    key = []
    for v in row:
        if v is None:
            key.append((0, ""))
        elif isinstance(v, float):
            key.append((1, float(f"{v:.6g}") if math.isfinite(v) else repr(v)))
        else:
            key.append((2, repr(v)))
    return key


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def compare(name, spark_rows, spark_cols, duck, warehouse_cols):
    """Differences between Spark's rows and DuckDB's, as lines (empty when equal)."""
    select = []
    for col in spark_cols:
        if col in warehouse_cols:
            select.append(f'"{col}"')
        elif col.endswith("_us") and warehouse_cols.get(col[:-3]) == "INTERVAL":
            select.append(f'CAST(epoch_us(TIMESTAMP \'1970-01-01\' + "{col[:-3]}") AS BIGINT) AS "{col}"')
        else:
            return [f"column {col} of the port is not a column of the DuckDB view"]
    missing = [c for c in warehouse_cols if c not in spark_cols and f"{c}_us" not in spark_cols]
    if missing:
        return [f"the port lacks column(s) {', '.join(missing)}"]
    schema, table = name.split(".")
    duck_rows = duck.execute(f'SELECT {", ".join(select)} FROM "{schema}"."{table}"').fetchall()
    left = sorted(([normalise(v) for v in r] for r in spark_rows), key=sort_key)
    right = sorted(([normalise(v) for v in r] for r in duck_rows), key=sort_key)
    if len(left) != len(right):
        return [f"{len(left)} rows on Spark, {len(right)} in DuckDB"]
    problems = []
    for i, (a, b) in enumerate(zip(left, right)):
        for col, x, y in zip(spark_cols, a, b):
            if not same(x, y):
                problems.append(f"row {i} column {col}: Spark {x!r}, DuckDB {y!r}")
                break
        if len(problems) >= 5:
            break
    return problems


def executors_ran_tasks(spark, expected):
    ui = spark.sparkContext.uiWebUrl
    app = spark.sparkContext.applicationId
    with urllib.request.urlopen(f"{ui}/api/v1/applications/{app}/allexecutors", timeout=10) as r:
        executors = [e for e in json.load(r) if e["id"] != "driver"]
    busy = [e for e in executors if e["totalTasks"] > 0]
    print(f"executors: {len(executors)}, with tasks: {len(busy)} "
          f"({', '.join(e['id'] + ':' + str(e['totalTasks']) for e in executors)})")
    return len(busy) >= expected


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lake", required=True)
    p.add_argument("--warehouse", required=True)
    p.add_argument("--expect-executors", type=int, default=0)
    a = p.parse_args()

    with open(os.path.join(a.lake, "_manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(PORTS, "not_ported.toml"), "rb") as f:
        not_ported = tomllib.load(f)
    found = ports()
    failures = []
    for view in duckdb_views():
        if view not in found and view not in not_ported:
            failures.append(f"{view}: no Spark port (sql/spark/) and no reason in sql/spark/not_ported.toml")

    spark = (SparkSession.builder.appName("exercise: lake views")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "8")
             .getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    for name, rel in sorted(manifest["relations"].items()):
        if name in found:
            continue  # a mart the port builds from the facts
        schema, table = name.split(".")
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {schema}")
        location = os.path.join(os.path.abspath(a.lake), rel["path"])
        spark.sql(f"CREATE TABLE {schema}.{table} USING parquet LOCATION '{location}'")
        if rel.get("partition_column"):
            spark.sql(f"MSCK REPAIR TABLE {schema}.{table}")

    duck = duckdb.connect(a.warehouse, read_only=True)
    for name in in_dependency_order(found):
        schema, table = name.split(".")
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {schema}")
        spark.sql(f"CREATE OR REPLACE VIEW {schema}.{table} AS {found[name]}")
    for name in in_dependency_order(found):
        schema, table = name.split(".")
        df = spark.table(f"{schema}.{table}")
        rows = [tuple(r) for r in df.collect()]
        warehouse_cols = dict(duck.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
            "ORDER BY column_index", [schema, table]).fetchall())
        if not warehouse_cols:
            failures.append(f"{name}: no such relation in the warehouse")
            continue
        problems = compare(name, rows, df.columns, duck, warehouse_cols)
        print(f"{'ok  ' if not problems else 'DIFF'} {name}: {len(rows)} rows on Spark")
        failures.extend(f"{name}: {p}" for p in problems)
    for view, reason in sorted(not_ported.items()):
        print(f"skip {view}: {reason}")
    if a.expect_executors and not executors_ran_tasks(spark, a.expect_executors):
        failures.append(f"fewer than {a.expect_executors} executors ran tasks")
    spark.stop()
    for f in failures:
        print(f"FAIL {f}")
    print(f"{len(found)} ports compared with DuckDB, {len(not_ported)} views not ported, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
