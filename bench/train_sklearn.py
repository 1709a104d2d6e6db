"""scikit-learn's RandomForestRegressor on the same rows, split and bounds as `exercise train`.

Reads market.features from the warehouse (read-only) with the same query as sql/models/training_rows.sql,
splits by date at the same cutoff (first day + ceil(0.8 * days in range), or --test-from), fits with the
given bounds on both cores, and prints the same metrics as `exercise train` plus times, peak memory
and the pickled model's size. Usage: train_sklearn.py WAREHOUSE [--trees N --max-depth D ...].
"""
import argparse
import math
import os
import pickle
import resource
import sys
import time

import duckdb
import numpy as np
from sklearn.ensemble import RandomForestRegressor


def metrics(truth, predicted):
    err = truth - predicted
    total = ((truth - truth.mean()) ** 2).sum()
    nonzero = truth != 0
    return {
        "rows": len(truth),
        "mae": float(np.abs(err).mean()),
        "rmse": float(math.sqrt((err ** 2).mean())),
        "r2": float(1 - (err ** 2).sum() / total),
        "mae_log1p": float(np.abs(np.log1p(np.maximum(truth, 0)) - np.log1p(np.maximum(predicted, 0))).mean()),
        "mdape": float(np.median(np.abs(err[nonzero] / truth[nonzero])) * 100),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("warehouse")
    p.add_argument("--trees", type=int, default=100)
    p.add_argument("--max-depth", type=int, default=12)
    p.add_argument("--min-samples-leaf", type=int, default=5)
    p.add_argument("--max-samples", type=int, default=500_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--model-out", default=None)
    a = p.parse_args()

    started = time.time()
    con = duckdb.connect(a.warehouse, read_only=True)
    sql = open(os.path.join(os.path.dirname(__file__), "..", "sql", "models", "training_rows.sql")).read()
    day, y, vma, med = (np.asarray(c) for c in con.execute(sql).fetchnumpy().values())
    con.close()
    read_s = time.time() - started
    first, last = day.min(), day.max()
    test_from = first + math.ceil((last - first) * 0.8)
    train, test = day < test_from, day >= test_from
    X = np.column_stack([vma, med])
    print(f"read {len(y)} rows in {read_s:.1f} s; {train.sum()} training rows, {test.sum()} test rows", flush=True)

    model = RandomForestRegressor(
        n_estimators=a.trees, max_depth=a.max_depth, min_samples_leaf=a.min_samples_leaf,
        max_samples=a.max_samples, bootstrap=True, n_jobs=os.cpu_count(), random_state=a.seed)
    t = time.time()
    model.fit(X[train], y[train])
    fit_s = time.time() - t
    t = time.time()
    m = metrics(y[test], model.predict(X[test]))
    predict_s = time.time() - t
    blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    if a.model_out:
        with open(a.model_out, "wb") as f:
            f.write(blob)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"fit {fit_s:.1f} s, predict {predict_s:.1f} s, total {time.time() - started:.1f} s; "
          f"model {len(blob) / 1e6:.1f} MB pickled; nodes {sum(e.tree_.node_count for e in model.estimators_)}; "
          f"peak memory {peak_kb / 1e6:.2f} GB")
    print("test: " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in m.items()))


if __name__ == "__main__":
    sys.exit(main())
