//! The warehouse file, migrations, query, status, the reviewer's checks and fetch-data.
mod common;
use common::{stderr, stdout, Workspace};
use predicates::str::{contains, starts_with};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

#[test]
fn version_and_help_on_every_subcommand() {
    let ws = Workspace::new();
    ws.exercise()
        .arg("--version")
        .assert()
        .stdout(starts_with("exercise "));
    for sub in [
        "migrate",
        "ingest-data",
        "outliers",
        "query",
        "status",
        "check-ingestion",
        "check-outliers",
        "fetch-data",
        "generate",
    ] {
        ws.exercise()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(contains("Usage: exercise"));
    }
}

#[test]
fn migrate_applies_once_and_records_checksums() {
    let ws = Workspace::new();
    ws.exercise()
        .arg("migrate")
        .assert()
        .success()
        .stdout(contains("applied V001__ingestion_ledger.sql"));
    ws.exercise()
        .arg("migrate")
        .assert()
        .stdout(contains("schema is up to date"));
    assert_eq!(
        ws.count("SELECT count(*) FROM meta.schema_migrations WHERE length(checksum) = 32"),
        ws.count("SELECT count(*) FROM meta.schema_migrations")
    );
}

#[test]
fn an_edited_applied_migration_is_refused() {
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    ws.exercise()
        .args([
            "query",
            "--write",
            "UPDATE meta.schema_migrations SET checksum = 'deadbeef' WHERE version = 2",
        ])
        .assert()
        .success();
    ws.exercise()
        .arg("status")
        .assert()
        .code(1)
        .stderr(contains(
            "migration V002__blog_analysis.sql was edited after it was applied",
        ));
}

#[test]
fn warehouse_locked_by_another_process_is_one_clear_error() {
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    let holder = duckdb::Connection::open(ws.db()).unwrap();
    let out = ws.run(&["outliers"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("is locked by another process"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    drop(holder);
}

#[test]
fn a_file_that_is_not_a_duckdb_database_is_one_clear_error() {
    let ws = Workspace::new();
    ws.write("warehouse.db", &"this is not a database\n".repeat(500));
    let out = ws.run(&["status"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("is not a DuckDB database"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn query_prints_table_csv_and_json_and_is_read_only_by_default() {
    let ws = Workspace::new();
    ws.copy_resource("votes/example.jsonl", "uncommitted/votes.jsonl");
    ws.ingest_data(&[]).success();
    let sql = "SELECT VoteTypeId, count(*) AS n FROM blog_analysis.votes GROUP BY 1 ORDER BY 1";
    let out = ws.run(&["query", sql]);
    insta::assert_snapshot!("query_table", stdout(&out));
    ws.exercise()
        .args(["query", "--format", "json", sql])
        .assert()
        .stdout("{\"VoteTypeId\":2,\"n\":12}\n{\"VoteTypeId\":3,\"n\":4}\n");
    ws.exercise()
        .arg("query")
        .write_stdin("SELECT 1 + 1 AS two;")
        .assert()
        .stdout(contains("2"));
    let out = ws.run(&["query", "DELETE FROM blog_analysis.votes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).to_lowercase().contains("read-only"),
        "{}",
        stderr(&out)
    );
    ws.exercise()
        .args(["query", "SELEC nonsense"])
        .assert()
        .code(1)
        .stderr(contains("Parser Error"));
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 16);
}

#[test]
fn values_arrow_cannot_carry_are_printed_as_duckdb_prints_them() {
    // BIT arrived as its bytes ("05fd"), TIME WITH TIME ZONE without its offset, VARIANT not at all
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    let sql = "SELECT i::BIT AS b, ('12:00:00+0' || i)::TIMETZ AS t, i::VARIANT AS v, i AS n
               FROM range(1, 4) r(i) ORDER BY i DESC -- the order is kept";
    let csv = stdout(&ws.run(&["query", "--format", "csv", sql]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "b,t,v,n", "{csv}");
    assert!(lines[1].ends_with("11,12:00:00+03,3,3"), "{csv}");
    assert!(lines[3].ends_with("01,12:00:00+01,1,1"), "{csv}");
    assert_eq!(lines[1].split(',').next().map(str::len), Some(64), "{csv}");
    let table = stdout(&ws.run(&[
        "query",
        "SELECT '101'::BIT AS b, TIMETZ '01:02:03-05:30' AS t",
    ]));
    assert!(
        table.contains("101") && table.contains("01:02:03-05:30"),
        "{table}"
    );
    // other results are untouched, duplicate names included
    let same = stdout(&ws.run(&["query", "--format", "csv", "SELECT 1 AS a, 2 AS a"]));
    assert_eq!(same, "a,a\n1,2\n");
}

#[test]
fn status_shows_tables_loads_and_rejects() {
    let ws = Workspace::new();
    ws.write("v.jsonl", "{\"Id\":\"1\",\"PostId\":\"1\",\"VoteTypeId\":\"2\",\"CreationDate\":\"2022-01-02\"}\nnot json\n");
    let load = ws.ingest_data(&["v.jsonl"]);
    assert_eq!(load.code, Some(1), "{load}");
    let out = ws.run(&["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("blog_analysis.votes               1")
            || text.contains("blog_analysis.votes "),
        "{text}"
    );
    assert!(text.contains("V002__blog_analysis.sql"), "{text}");
    assert!(text.contains("v.jsonl"), "{text}");
    assert!(text.contains("malformed JSON"), "{text}");
}

#[test]
fn reviewer_checks_pass_on_the_example() {
    let ws = Workspace::new();
    ws.copy_resource("votes/example.jsonl", "uncommitted/votes.jsonl");
    let out = ws.run(&["check-ingestion"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out).matches("ok  ").count(), 5, "{}", stdout(&out));
    let out = ws.run(&["check-outliers"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(stdout(&out).matches("ok  ").count(), 4, "{}", stdout(&out));
}

#[test]
fn check_outliers_fails_on_an_empty_warehouse() {
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    ws.exercise()
        .arg("check-outliers")
        .assert()
        .code(1)
        .stdout(contains("FAIL  it has rows (0)"));
}

/// Serves `body` once per connection on 127.0.0.1, for `count` connections.
fn serve(body: Vec<u8>, count: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&body).unwrap();
        }
    });
    format!("http://{addr}/votes.jsonl.gz")
}

#[test]
fn fetch_data_downloads_and_extracts_from_a_local_server() {
    let ws = Workspace::new();
    let text = std::fs::read(common::resource_path("votes/example.jsonl")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&text).unwrap();
    let url = serve(enc.finish().unwrap(), 1);
    ws.exercise()
        .args(["fetch-data", "--url", &url])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(ws.path("uncommitted/votes.jsonl")).unwrap(),
        text
    );
    let names: Vec<_> = std::fs::read_dir(ws.path("uncommitted"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn fetch_data_without_network_fails_fast_and_leaves_nothing() {
    let ws = Workspace::new();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // closed again: connections are refused
    let started = Instant::now();
    let fetch = ws
        .exercise()
        .args([
            "fetch-data",
            "--url",
            &format!("http://127.0.0.1:{port}/votes.zip"),
        ])
        .assert();
    assert!(started.elapsed() < Duration::from_secs(10));
    fetch
        .code(1)
        .stderr(contains("cannot download http://127.0.0.1"));
    let left: Vec<_> = std::fs::read_dir(ws.path("uncommitted")).unwrap().collect();
    assert!(left.is_empty());
}

#[test]
fn fetch_data_of_a_truncated_archive_leaves_no_partial_file() {
    let ws = Workspace::new();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&b"{\"Id\":\"1\"}\n".repeat(10_000)).unwrap();
    let gz = enc.finish().unwrap();
    let url = serve(gz[..gz.len() / 2].to_vec(), 1);
    ws.exercise()
        .args(["fetch-data", "--url", &url])
        .assert()
        .code(1)
        .stderr(contains("truncated or corrupt"));
    assert!(std::fs::read_dir(ws.path("uncommitted"))
        .unwrap()
        .next()
        .is_none());
}

#[test]
fn new_warehouses_use_the_1_3_storage_format_unless_told_otherwise() {
    let version = |env: Option<&str>| {
        let ws = Workspace::new();
        let mut cmd = ws.exercise();
        if let Some(v) = env {
            cmd.env("EXERCISE_STORAGE_VERSION", v);
        }
        cmd.arg("migrate").assert().success();
        ws.csv("SELECT tags['storage_version'] AS v FROM duckdb_databases() WHERE database_name = current_database()")
    };
    assert_eq!(version(None), "v\nv1.3.0+\n");
    assert_eq!(version(Some("v1.0.0")), "v\nv1.0.0+\n");
}

#[test]
fn a_warehouse_path_with_a_question_mark_is_refused_with_why() {
    let ws = common::Workspace::new();
    std::fs::create_dir_all(ws.path("runs [1] *?")).unwrap();
    std::fs::create_dir_all(ws.path("runs [1] *")).unwrap();
    for name in ["w?.db", "runs [1] *?/a b.db"] {
        let db = ws.path(name).to_string_lossy().into_owned();
        for command in [vec!["migrate"], vec!["query", "SELECT 1"]] {
            let out = ws.run(&[&["--db", db.as_str()][..], &command[..]].concat());
            assert_eq!(out.status.code(), Some(1), "{name} {command:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("a warehouse path cannot contain '?'"), "{err}");
        }
        assert!(!ws.path(name).exists(), "{name} was created");
    }
    let fine = ws.run(&[
        "--db",
        &ws.path("runs [1] */a b.db").to_string_lossy(),
        "migrate",
    ]);
    assert!(fine.status.success());
}

#[test]
fn a_warehouse_named_after_one_of_its_schemas_is_refused_with_why() {
    let ws = common::Workspace::new();
    for name in ["telemetry.db", "Market.duckdb", "meta.db"] {
        let out = ws.run(&["--db", &ws.path(name).to_string_lossy(), "migrate"]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot be named after one of its schemas"),
            "{err}"
        );
        assert!(!ws.path(name).exists(), "{name} was created");
    }
    let fine = ws.run(&[
        "--db",
        &ws.path("telemetry-2026.db").to_string_lossy(),
        "migrate",
    ]);
    assert!(fine.status.success());
}

/// DuckDB's limit as it reports it ("2.0 GiB", "953.6 MiB"), in MiB.
fn reported_limit_mib(ws: &Workspace, limit: Option<&str>, write: bool) -> f64 {
    let mut cmd = ws.exercise();
    cmd.arg("query");
    if write {
        cmd.arg("--write");
    }
    match limit {
        Some(l) => cmd.env("EXERCISE_MEMORY_LIMIT", l),
        None => cmd.env_remove("EXERCISE_MEMORY_LIMIT"),
    };
    let out = cmd
        .args(["--format", "csv", "SELECT current_setting('memory_limit')"])
        .output()
        .expect("run query");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let value = text.lines().nth(1).expect("a row").trim().to_string();
    let (number, unit) = value.split_once(' ').expect("number and unit");
    let number: f64 = number.parse().expect("a number");
    number
        * match unit {
            "MiB" => 1.0,
            "GiB" => 1024.0,
            other => panic!("unexpected unit {other} in {value}"),
        }
}

#[test]
fn memory_is_bounded_by_default_and_the_limit_can_be_set() {
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    // A quarter of the RAM, at most 2 GiB, at least 256 MiB (README, "Memory").
    let meminfo = std::fs::read_to_string("/proc/meminfo").expect("/proc/meminfo");
    let ram_kib: f64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("MemTotal");
    // a container's (control group's) limit, when lower, is the machine's memory
    let total_kib = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|f| std::fs::read_to_string(f).ok()?.trim().parse::<f64>().ok())
    .map(|bytes| bytes / 1024.0)
    .fold(ram_kib, f64::min);
    let expected = (total_kib / 1024.0 / 4.0).floor().clamp(256.0, 2048.0);
    let default = reported_limit_mib(&ws, None, true);
    assert!(
        (default - expected).abs() <= expected * 0.01,
        "default limit {default} MiB, expected {expected} MiB"
    );
    // The read-only sandbox cannot spill (it may write no file): it keeps DuckDB's default, 80% of RAM.
    let sandbox = reported_limit_mib(&ws, None, false);
    assert!(
        (sandbox - total_kib / 1024.0 * 0.8).abs() <= sandbox * 0.01,
        "read-only query's limit {sandbox} MiB"
    );
    for write in [true, false] {
        let set = reported_limit_mib(&ws, Some("1GB"), write);
        assert!(
            (set - 953.6).abs() < 0.1,
            "EXERCISE_MEMORY_LIMIT=1GB gave {set} MiB"
        );
    }
    ws.exercise()
        .env("EXERCISE_MEMORY_LIMIT", "lots")
        .args(["query", "SELECT 1"])
        .assert()
        .failure()
        .stderr(contains("EXERCISE_MEMORY_LIMIT=lots is not a memory limit"));
    // Sizes are read as DuckDB writes them, in decimal and binary units and as a share of the RAM.
    for (limit, mib) in [("512MiB", 512.0), ("0.5 GB", 476.8), ("100000000B", 95.4)] {
        let set = reported_limit_mib(&ws, Some(limit), true);
        assert!(
            (set - mib).abs() < 0.2,
            "EXERCISE_MEMORY_LIMIT={limit} gave {set} MiB, not {mib}"
        );
    }
}

#[test]
fn a_memory_limit_too_small_to_report_its_own_errors_is_refused_before_anything_runs() {
    // Below ~24 MiB DuckDB ran out of memory inside the callback that hands it the batches, where its
    // exception aborts the process (exit 134) instead of failing the load.
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    let votes = ws.write(
        "votes.jsonl",
        r#"{"Id":"1","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02T00:00:00.000"}"#,
    );
    let before = std::fs::read(ws.db()).expect("the warehouse");
    for limit in ["16MB", "63MiB", "0", "1%x", "-1"] {
        let out = ws
            .exercise()
            .env("EXERCISE_MEMORY_LIMIT", limit)
            .args(["ingest-data", "--dataset", "votes"])
            .arg(&votes)
            .output()
            .expect("run ingest-data");
        assert_eq!(out.status.code(), Some(1), "{limit}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("EXERCISE_MEMORY_LIMIT={limit}")),
            "{limit}: {err}"
        );
        assert!(!err.contains("Unknown error code"), "{limit}: {err}");
    }
    assert_eq!(std::fs::read(ws.db()).expect("the warehouse"), before);
    // at the floor the same load runs
    ws.exercise()
        .env("EXERCISE_MEMORY_LIMIT", "64MiB")
        .args(["ingest-data", "--dataset", "votes"])
        .arg(&votes)
        .assert()
        .success();
    ws.exercise()
        .env("EXERCISE_MEMORY_LIMIT", "16MB")
        .args(["query", "SELECT 1"])
        .assert()
        .failure()
        .stderr(contains("below 64 MiB"));
}
