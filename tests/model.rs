//! `exercise train`, `exercise models` and `exercise serve` on hand-made market.features tables whose
//! model can be worked out by hand (tests/common/model.rs), through the real binary.
mod common;
use common::model::{
    day, generated_days, model_parts, stump_days, stump_model, trees_digest, with_metadata, Day,
    Server, STUMP_ARGS, STUMP_LEFT, STUMP_RIGHT, STUMP_THRESHOLD,
};
use common::{stderr, stdout, Workspace};
use std::path::Path;

/// Columns of market.model_runs, one vector per run in id order (values without commas only).
fn runs(ws: &Workspace, columns: &str) -> Vec<Vec<String>> {
    ws.csv(&format!(
        "SELECT {columns} FROM market.model_runs ORDER BY model_run_id"
    ))
    .lines()
    .skip(1)
    .map(|line| line.split(',').map(str::to_string).collect())
    .collect()
}

/// Exit code 1 and one line of stderr (after any progress lines), saying `needles`.
#[track_caller]
fn assert_refused(out: &std::process::Output, needles: &[&str]) -> String {
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(out), stderr(out));
    let err = stderr(out);
    let last = err
        .trim_end()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(last.starts_with("error: "), "{err}");
    for needle in needles {
        assert!(last.contains(needle), "expected {needle:?} in: {err}");
    }
    last
}

/// The nodes of a model file's trees: (feature, value, right) per node, per tree.
fn nodes(path: &Path) -> Vec<Vec<(u32, f64, u32)>> {
    let (_, bytes) = model_parts(path);
    let mut at = 0;
    let u32_at = |at: &mut usize| {
        let v = u32::from_le_bytes(bytes[*at..*at + 4].try_into().unwrap());
        *at += 4;
        v
    };
    assert_eq!(u32_at(&mut at), 2, "two features");
    let trees = u32_at(&mut at);
    let mut out = Vec::new();
    for _ in 0..trees {
        let count = u32_at(&mut at);
        let mut tree = Vec::new();
        for _ in 0..count {
            let feature = u32_at(&mut at);
            let value = f64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
            at += 8;
            let right = u32_at(&mut at);
            tree.push((feature, value, right));
        }
        out.push(tree);
    }
    assert_eq!(at, bytes.len());
    out
}

const LEAF: u32 = u32::MAX;

#[test]
fn a_stump_splits_where_the_squared_error_is_least_and_serves_its_leaf_means() {
    let ws = Workspace::new();
    let model = stump_model(&ws);
    // the split and leaves worked out by hand in tests/common/model.rs
    assert_eq!(
        nodes(&model),
        vec![vec![
            (0, STUMP_THRESHOLD, 2),
            (LEAF, 120.0, 0),
            (LEAF, 1020.5, 0)
        ]]
    );
    // the NULL rows are left out of both periods
    assert_eq!(
        runs(
            &ws,
            "rows_available, train_rows, test_rows, test_from, node_count, trees, max_depth, \
             min_samples_leaf, bootstrap, lag_days, random_split IS NULL"
        ),
        vec![vec![
            "7",
            "5",
            "2",
            "2024-01-08",
            "3",
            "1",
            "1",
            "1",
            "false",
            "0",
            "true"
        ]]
    );
    // the test rows (500, 400) and (900, 950) are predicted 120 and 1020.5: errors 280 and 70.5; the
    // baseline predicts vol_moving_avg itself, errors 100 and 50, and wins
    assert_eq!(
        runs(
            &ws,
            "test.rows, test.mae, baseline_moving_avg.mae, beats_baseline"
        ),
        vec![vec!["2", "175.25", "75.0", "false"]]
    );
    let server = Server::start(&ws, &model);
    for (vma, med, volume) in [
        (0.0, 0.0, STUMP_LEFT),
        (300.0, 40.0, STUMP_LEFT),
        (STUMP_THRESHOLD, 1e6, STUMP_LEFT), // left when x <= threshold
        (650.5, 0.0, STUMP_RIGHT),
        (1000.0, 20.0, STUMP_RIGHT),
        (1e12, 5.0, STUMP_RIGHT),
    ] {
        assert_eq!(server.predict(vma, med), volume, "({vma}, {med})");
    }
}

#[test]
fn the_same_seed_gives_the_same_trees_and_another_seed_others() {
    let ws = Workspace::new();
    ws.with_features(&generated_days(4, 500));
    let args = [
        "--trees",
        "4",
        "--max-depth",
        "6",
        "--max-samples",
        "400",
        "--no-random-split",
    ];
    let a = ws.trained("a.model", &[&args[..], &["--seed", "1"]].concat());
    let b = ws.trained("b.model", &[&args[..], &["--seed", "1"]].concat());
    let c = ws.trained("c.model", &[&args[..], &["--seed", "2"]].concat());
    let (meta_a, trees_a) = model_parts(&a);
    let (meta_b, trees_b) = model_parts(&b);
    let (meta_c, trees_c) = model_parts(&c);
    let version = |meta: &serde_json::Value| meta["model_version"].as_str().unwrap().to_string();
    assert_eq!(trees_a, trees_b, "the same seed, the same trees");
    assert_eq!(
        trees_digest(&version(&meta_a)),
        trees_digest(&version(&meta_b))
    );
    assert_ne!(trees_a, trees_c, "another seed, other trees");
    assert_ne!(
        trees_digest(&version(&meta_a)),
        trees_digest(&version(&meta_c))
    );
    // the four trees of a forest differ from each other too (each its own bootstrap sample)
    let forest = nodes(&a);
    assert_eq!(forest.len(), 4);
    assert_ne!(forest[0], forest[1]);
    // 4 symbols of 500 days, the first 29 of each without features
    assert_eq!(meta_a["training_data"]["rows_available"], 4 * (500 - 29));
    assert_eq!(meta_a["params"]["seed"], 1);
    assert_eq!(meta_c["params"]["seed"], 2);
    assert_eq!(
        runs(&ws, "seed, max_samples, bootstrap"),
        vec![
            vec!["1", "400", "true"],
            vec!["1", "400", "true"],
            vec!["2", "400", "true"]
        ]
    );
}

#[test]
fn model_runs_records_every_run_and_models_lists_them() {
    let ws = Workspace::new();
    ws.with_features(&stump_days());
    let first = ws.trained("first.model", &STUMP_ARGS);
    // defaults, the model file beside the warehouse, the default test period (the last 20% of days)
    let out = ws.run(&[
        "train",
        "--trees",
        "3",
        "--max-depth",
        "2",
        "--min-samples-leaf",
        "2",
        "--max-samples",
        "5",
        "--seed",
        "9",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(said.starts_with("model run 2: "), "{said}");
    let rows = runs(
        &ws,
        "model_run_id, trees, max_depth, min_samples_leaf, max_samples, bootstrap, seed, lag_days, \
         test_from, train_rows, test_rows, rows_available, random_split IS NULL, model_path, \
         model_bytes, model_hash, model_version, target",
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    let with_features = ws.count(
        "SELECT count(*) FROM market.features
         WHERE vol_moving_avg IS NOT NULL AND adj_close_rolling_med IS NOT NULL",
    );
    assert_eq!(with_features, 7);
    // first 2024-01-03, last 2024-01-09: the test period starts at day ceil(0.8 * 6) = 5, 2024-01-08
    let expected: [[&str; 13]; 2] = [
        [
            "1",
            "1",
            "1",
            "1",
            "500000",
            "false",
            "42",
            "0",
            "2024-01-08",
            "5",
            "2",
            "7",
            "true",
        ],
        [
            "2",
            "3",
            "2",
            "2",
            "5",
            "true",
            "9",
            "0",
            "2024-01-08",
            "5",
            "2",
            "7",
            "false",
        ],
    ];
    for (row, expected) in rows.iter().zip(expected) {
        assert_eq!(row[..13], expected, "{row:?}");
        let train: i64 = row[9].parse().unwrap();
        let test: i64 = row[10].parse().unwrap();
        assert_eq!(train + test, with_features);
        let path = Path::new(&row[13]);
        assert!(path.is_absolute(), "{row:?}");
        let bytes = std::fs::read(path).expect("the recorded model file exists");
        assert_eq!(row[14], bytes.len().to_string());
        assert_eq!(
            row[15],
            format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes))
        );
        let (meta, _) = model_parts(path);
        assert_eq!(meta["model_version"], row[16].as_str());
        assert_eq!(row[17], "Volume");
    }
    assert_eq!(
        Path::new(&rows[0][13]),
        first.canonicalize().unwrap(),
        "--out, made absolute"
    );
    let default = Path::new(&rows[1][13]);
    assert_eq!(
        default.parent().unwrap(),
        ws.path("models").canonicalize().unwrap()
    );
    assert_eq!(
        default.file_name().unwrap().to_str().unwrap(),
        format!("volume-{}.model", rows[1][16])
    );
    // `exercise models` lists both, oldest first
    let table = ws.run(&["models"]);
    assert!(table.status.success(), "{}", stderr(&table));
    let table = stdout(&table);
    let at_first = table.find(&rows[0][16]).expect("the first run listed");
    let at_second = table.find(&rows[1][16]).expect("the second run listed");
    assert!(at_first < at_second, "{table}");
    let csv = ws.run(&["models", "--format", "csv"]);
    let csv = stdout(&csv);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,trained_at,model_version,lag,trees,max_depth,max_samples,train_rows,test_rows,test_from,\
         seconds,mae,r2,mdape_pct,baseline_mae,random_split_mae,beats_baseline,model_path"
    );
    let listed: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0][0], "1");
    assert_eq!(listed[0][2], rows[0][16]);
    assert_eq!(
        listed[0][3..10],
        ["0", "1", "1", "500000", "5", "2", "2024-01-08"]
    );
    assert_eq!(listed[0][11], "175"); // 175.25, rounded
    assert_eq!(listed[0][14], "75");
    assert_eq!(listed[0][15], "", "no random split");
    assert_eq!(listed[0][16], "false");
    assert_eq!(listed[0][17], rows[0][13]);
    assert_eq!(listed[1][0], "2");
}

#[test]
fn the_training_log_says_what_was_read() {
    let ws = Workspace::new();
    let model = stump_model(&ws);
    let log = std::fs::read_to_string(ws.path("stump.log")).expect("the log beside the model");
    for needle in [
        "read 7 rows of market.features with both features (lag 0 days) from 0 stock files",
        "split by date: 5 training rows before 2024-01-08, 2 test rows from it to 2024-01-09",
        "grew 1 trees (date split), 3 nodes, deepest 1",
        &format!("wrote {}", model.canonicalize().unwrap().display()),
        "recorded as model run 1 in market.model_runs",
    ] {
        assert!(log.contains(needle), "{needle:?} not in:\n{log}");
    }
    assert!(log.lines().all(|l| l.starts_with('[')), "{log}");
}

#[test]
fn train_refuses_a_warehouse_without_features() {
    let ws = Workspace::new();
    ws.with_features(&[]);
    let out = ws.run(&["train", "--out", "m.model"]);
    assert_refused(
        &out,
        &["market.features has 0 rows", "load stock prices first"],
    );
    // rows without features are no rows to train on either
    ws.with_features(&[
        day("AAA", "2024-01-01", 10, None, None),
        day("AAA", "2024-01-02", 10, None, Some(1.0)),
    ]);
    let out = ws.run(&["train", "--out", "m.model"]);
    assert_refused(&out, &["0 rows with features", "load stock prices first"]);
    assert!(!ws.path("m.model").exists());
    assert_eq!(ws.count("SELECT count(*) FROM market.model_runs"), 0);
}

#[test]
fn train_refuses_a_test_period_without_rows() {
    let ws = Workspace::new();
    ws.with_features(&stump_days());
    for (test_from, needles) in [
        (
            "2024-01-10",
            [
                "leaves 7 training and 0 test rows",
                "2024-01-04 and 2024-01-09",
            ],
        ),
        (
            "2024-01-03",
            [
                "leaves 0 training and 7 test rows",
                "2024-01-04 and 2024-01-09",
            ],
        ),
    ] {
        let out = ws.run(&[
            "train",
            "--out",
            "m.model",
            "--trees",
            "1",
            "--test-from",
            test_from,
        ]);
        assert_refused(&out, &needles);
    }
    assert!(!ws.path("m.model").exists());
    assert_eq!(ws.count("SELECT count(*) FROM market.model_runs"), 0);
}

#[test]
fn train_refuses_a_model_path_it_cannot_write_before_training() {
    let ws = Workspace::new();
    ws.with_features(&stump_days());
    ws.write("taken", "a file, not a folder");
    let out = ws.run(&["train", "--out", "taken/m.model"]);
    assert_refused(&out, &["cannot create", "taken"]);
    // refused before any tree grew, and nothing recorded
    assert!(!stderr(&out).contains("grew"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("grew"), "{}", stdout(&out));
    assert_eq!(ws.count("SELECT count(*) FROM market.model_runs"), 0);
}

#[test]
fn train_refuses_parameters_the_run_record_cannot_hold_before_training() {
    // min_samples_leaf is an INTEGER column, max_samples a BIGINT: beyond them the run could not be
    // recorded, and that was found out only after training and writing the model file
    let ws = Workspace::new();
    ws.with_features(&stump_days());
    for (flag, value) in [
        ("--min-samples-leaf", "2147483648"),
        ("--max-samples", "9223372036854775808"),
        ("--max-samples", "0"),
    ] {
        let out = ws.run(&["train", "--out", "m.model", flag, value]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flag} {value}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains(flag), "{}", stderr(&out));
    }
    assert!(!ws.path("m.model").exists());
    // the largest values are recorded as given
    ws.trained(
        "m.model",
        &[&STUMP_ARGS[..], &["--max-samples", "9223372036854775807"]].concat(),
    );
    assert_eq!(runs(&ws, "max_samples"), vec![vec!["9223372036854775807"]]);
}

#[test]
fn serve_without_a_trained_model_says_to_train() {
    let ws = Workspace::new();
    ws.with_features(&stump_days());
    let out = ws.run(&["serve", "--addr", "127.0.0.1:0"]);
    assert_refused(
        &out,
        &["has no trained model", "run `exercise train` first"],
    );
    // and once trained, serve without --model finds the newest
    ws.trained("one.model", &STUMP_ARGS);
    let newest = ws.trained("two.model", &STUMP_ARGS);
    let out = ws.run(&["serve", "--addr", "not-an-address"]);
    assert_eq!(out.status.code(), Some(2), "clap refuses the address");
    // the newest run's file is gone (the older one is still there): a clear error naming it
    std::fs::rename(&newest, ws.path("moved.model")).unwrap();
    let out = ws.run(&["serve", "--addr", "127.0.0.1:0"]);
    assert_refused(&out, &["cannot read model", "two.model"]);
}

#[test]
fn serve_refuses_a_corrupt_model_file_in_one_line_naming_it() {
    let ws = Workspace::new();
    let model = stump_model(&ws);
    let bytes = std::fs::read(&model).unwrap();
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x10;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "truncated.model",
            bytes[..bytes.len() - 1].to_vec(),
            "checksum does not match",
        ),
        (
            "header.model",
            bytes[..10].to_vec(),
            "ends inside its header",
        ),
        ("flipped.model", flipped, "checksum does not match"),
        (
            "foreign.model",
            b"PK\x03\x04 a zip file".to_vec(),
            "not a model written by `exercise train`",
        ),
        (
            "empty.model",
            Vec::new(),
            "not a model written by `exercise train`",
        ),
    ];
    for (name, content, needle) in cases {
        std::fs::write(ws.path(name), content).unwrap();
        let out = ws.run(&["serve", "--model", name, "--addr", "127.0.0.1:0"]);
        let line = assert_refused(&out, &[name, "is not a usable model file", needle]);
        assert_eq!(stderr(&out).trim_end(), line, "one line only");
        assert_eq!(stdout(&out), "", "nothing served");
    }
    let out = ws.run(&["serve", "--model", "missing.model", "--addr", "127.0.0.1:0"]);
    assert_refused(&out, &["cannot read model missing.model"]);
}

#[test]
fn serve_refuses_a_model_of_other_features() {
    // a well-formed file (valid checksum) whose forest takes three features: the server passes two
    let ws = Workspace::new();
    let model = stump_model(&ws);
    let (mut meta, _) = model_parts(&model);
    meta["features"] = serde_json::json!(["vol_moving_avg", "adj_close_rolling_med", "Open"]);
    let mut bytes = with_metadata(&model, &meta);
    // the features count right after the metadata: 3, and the root split on the third feature
    let meta_len = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
    let at = 20 + meta_len;
    bytes[at..at + 4].copy_from_slice(&3u32.to_le_bytes());
    let root = at + 12;
    bytes[root..root + 4].copy_from_slice(&2u32.to_le_bytes());
    let body = bytes.len() - 16;
    let checksum = xxhash_rust::xxh3::xxh3_128(&bytes[..body]);
    bytes[body..].copy_from_slice(&checksum.to_le_bytes());
    std::fs::write(ws.path("three.model"), bytes).unwrap();
    let out = ws.run(&["serve", "--model", "three.model", "--addr", "127.0.0.1:0"]);
    assert_refused(
        &out,
        &["three.model", "vol_moving_avg, adj_close_rolling_med, Open"],
    );
    // the same with the features in another order
    let (mut meta, _) = model_parts(&model);
    meta["features"] = serde_json::json!(["adj_close_rolling_med", "vol_moving_avg"]);
    std::fs::write(ws.path("swapped.model"), with_metadata(&model, &meta)).unwrap();
    let out = ws.run(&["serve", "--model", "swapped.model", "--addr", "127.0.0.1:0"]);
    assert_refused(
        &out,
        &["swapped.model", "adj_close_rolling_med, vol_moving_avg"],
    );
}

// Two symbols of five days; the first day has no features:
//
//   date        vol_moving_avg  Volume        (adj_close_rolling_med 1 throughout; AAA and BBB alike)
//   2024-01-01  NULL            5
//   2024-01-02  10              100
//   2024-01-03  20              100
//   2024-01-04  30              500
//   2024-01-05  40              500           the test day
//
// Lag 0 trains on (10, 100), (20, 100), (30, 500) of each symbol: the stump splits at 25, leaves 100
// and 500, so 22 is predicted 100. Lag 1 pairs each volume with the previous day's features: the
// 2024-01-02 rows get NULLs and drop out (one row fewer per symbol), leaving (10, 100) and (20, 500):
// split at 15, and 22 is predicted 500. Had the lag crossed from AAA's last day into BBB's first,
// BBB's 2024-01-02 would be (40, 100) and the right leaf (500 + 500 + 100) / 3 = 367.
fn lag_days() -> Vec<Day> {
    let mut days = Vec::new();
    for symbol in ["AAA", "BBB"] {
        days.push(day(symbol, "2024-01-01", 5, None, None));
        for (i, (vma, volume)) in [(10.0, 100), (20.0, 100), (30.0, 500), (40.0, 500)]
            .into_iter()
            .enumerate()
        {
            days.push(day(
                symbol,
                &format!("2024-01-0{}", i + 2),
                volume,
                Some(vma),
                Some(1.0),
            ));
        }
    }
    days
}

#[test]
fn lag_one_uses_the_previous_trading_days_features() {
    let ws = Workspace::new();
    ws.with_features(&lag_days());
    let args = [&STUMP_ARGS[..8], &["--test-from", "2024-01-05"]].concat();
    let lag0 = ws.trained("lag0.model", &args);
    let lag1 = ws.trained("lag1.model", &[&args[..], &["--lag", "1"]].concat());
    assert_eq!(
        runs(&ws, "lag_days, rows_available, train_rows, test_rows"),
        vec![vec!["0", "8", "6", "2"], vec!["1", "6", "4", "2"]]
    );
    assert_eq!(nodes(&lag0)[0][0], (0, 25.0, 2));
    assert_eq!(nodes(&lag1)[0][0], (0, 15.0, 2));
    let server = Server::start(&ws, &lag0);
    assert_eq!(server.predict(22.0, 1.0), 100);
    drop(server);
    let server = Server::start(&ws, &lag1);
    assert_eq!(server.predict(22.0, 1.0), 500);
    assert_eq!(server.predict(10.0, 1.0), 100);
    assert_eq!(server.get("/model").json()["lag_days"], 1);
}
