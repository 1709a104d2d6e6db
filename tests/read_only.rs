//! Read-only commands read only: `query` without --write is sandboxed, readers never take the write lock
//! or change the file, and a path that is not a current warehouse gets a clear message.
mod common;
use common::{stderr, stdout, with_mount, Workspace};
use std::path::Path;
use std::process::{Command, Stdio};

fn loaded() -> Workspace {
    let ws = Workspace::new();
    ws.copy_resource("votes/example.jsonl", "votes.jsonl");
    ws.ingest_data(&["votes.jsonl"]).success();
    ws
}

/// The refusal is exit code 1 and exactly one line on stderr.
fn assert_refused(out: &std::process::Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", stdout(out));
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

fn file_state(path: &Path) -> (Vec<u8>, std::time::SystemTime) {
    (
        std::fs::read(path).unwrap(),
        std::fs::metadata(path).unwrap().modified().unwrap(),
    )
}

#[test]
fn query_without_write_cannot_write_the_warehouse_or_any_other_file() {
    let ws = loaded();
    let before = file_state(&ws.db());
    let db = ws.db().to_string_lossy().into_owned();
    let out = ws.run(&[
        "query",
        &format!("COPY (SELECT 'x' AS a) TO '{db}' (FORMAT csv)"),
    ]);
    assert_refused(&out, "--write");
    // DuckDB allows the warehouse's own files even without external access: written in place (no
    // temp file), the warehouse or its WAL would be overwritten
    for target in [
        db.clone(),
        format!("{db}.wal"),
        format!("{db}.wal.recovery"),
    ] {
        let out = ws.run(&[
            "query",
            &format!("COPY (SELECT 'x' AS a) TO '{target}' (FORMAT csv, USE_TMP_FILE false)"),
        ]);
        assert_refused(&out, "--write");
    }
    assert!(!ws.path("warehouse.db.wal").exists());
    let out = ws.run(&[
        "query",
        "COPY (SELECT 'x' AS a) TO 'outside.csv' (FORMAT csv)",
    ]);
    assert_refused(&out, "--write");
    assert!(!ws.path("outside.csv").exists());
    let out = ws.run(&["query", "ATTACH 'other.db' AS other"]);
    assert_refused(&out, "--write");
    assert!(!ws.path("other.db").exists());
    for sql in [
        "CREATE TABLE t AS SELECT 1",
        "DELETE FROM blog_analysis.votes",
        "DROP VIEW blog_analysis.outlier_weeks",
    ] {
        assert_refused(&ws.run(&["query", sql]), "--write");
    }
    // CHECKPOINT and FORCE CHECKPOINT are no-ops on a read-only file: they may run, and write nothing
    for sql in ["CHECKPOINT", "FORCE CHECKPOINT"] {
        let _ = ws.run(&["query", sql]);
    }
    assert_eq!(file_state(&ws.db()), before, "the warehouse file changed");
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 16);
}

#[test]
fn query_without_write_reads_no_file_outside_the_warehouse() {
    let ws = loaded();
    ws.write("secret.txt", "top secret\n");
    for sql in [
        "SELECT * FROM read_text('secret.txt')",
        "SELECT * FROM read_csv('secret.txt')",
        "FROM glob('/root/*')",
        "FROM glob('*')",
        "SELECT * FROM read_json_auto('votes.jsonl')",
    ] {
        let out = ws.run(&["query", sql]);
        assert_refused(&out, "--write");
        assert!(!stdout(&out).contains("top secret"), "{sql}");
    }
}

#[test]
fn query_without_write_changes_no_setting_and_loads_no_extension() {
    let ws = loaded();
    for sql in [
        "SET threads = 1",
        "SET enable_external_access = true",
        "RESET lock_configuration",
        "INSTALL sqlite",
        "LOAD sqlite",
    ] {
        let out = ws.run(&["query", sql]);
        assert_eq!(out.status.code(), Some(1), "{sql} ran");
        assert_eq!(
            stderr(&out).trim_end().lines().count(),
            1,
            "{sql}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn query_runs_exactly_one_statement() {
    let ws = loaded();
    let out = ws.run(&["query", "SELECT 1; SELECT 2"]);
    assert_refused(&out, "2 statements given");
    // the refusal comes before anything runs, with --write too
    let out = ws.run(&[
        "query",
        "--write",
        "DELETE FROM blog_analysis.votes; SELECT count(*) FROM blog_analysis.votes",
    ]);
    assert_refused(&out, "2 statements given");
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 16);
    // a semicolon inside a string or a trailing one is still one statement
    assert_eq!(ws.csv("SELECT 'a;b' AS s;"), "s\na;b\n");
}

#[test]
fn query_with_write_is_the_users_opt_in() {
    let ws = loaded();
    ws.exercise()
        .args([
            "query",
            "--write",
            "COPY (SELECT Id FROM blog_analysis.votes ORDER BY Id LIMIT 2) TO 'ids.csv' (FORMAT csv)",
        ])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(ws.path("ids.csv")).unwrap(),
        "Id\n1\n2\n"
    );
}

#[test]
fn readers_run_side_by_side() {
    let ws = loaded();
    let bin = assert_cmd::cargo::cargo_bin("exercise");
    for _ in 0..3 {
        let children: Vec<_> = (0..4)
            .map(|i| {
                Command::new(&bin)
                    .current_dir(ws.dir.path())
                    .env("WAREHOUSE_DB", ws.db())
                    .args([
                        "query",
                        "--format",
                        "csv",
                        &format!("SELECT count(*) + {i} AS n FROM range(20000000), (SELECT 1)"),
                    ])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let status = Command::new(&bin)
            .current_dir(ws.dir.path())
            .env("WAREHOUSE_DB", ws.db())
            .arg("status")
            .output()
            .unwrap();
        assert!(status.status.success(), "{}", stderr(&status));
        for (i, child) in children.into_iter().enumerate() {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "reader {i}: {}", stderr(&out));
            assert_eq!(stdout(&out), format!("n\n{}\n", 20_000_000 + i));
        }
    }
}

#[test]
fn readers_leave_the_file_as_it_was() {
    let ws = loaded();
    let before = file_state(&ws.db());
    for args in [
        vec!["status"],
        vec!["query", "SELECT count(*) FROM blog_analysis.votes"],
        vec!["runs"],
        vec!["stedi"],
        vec!["check-outliers"],
        vec!["export", "blog_analysis.outlier_weeks", "--to", "out"],
    ] {
        ws.exercise().args(&args).assert().success();
    }
    assert_eq!(
        file_state(&ws.db()),
        before,
        "a reader changed the warehouse"
    );
    assert!(!ws.path("warehouse.db.wal").exists());
    assert!(ws.path("out/blog_analysis.outlier_weeks.parquet").exists());
}

#[test]
fn a_mistyped_db_path_is_refused_and_not_created() {
    let ws = loaded();
    for args in [
        vec!["query", "SELECT 1"],
        vec!["status"],
        vec!["runs"],
        vec!["check-outliers"],
    ] {
        let out = ws
            .exercise()
            .arg("--db")
            .arg("warehuose.db")
            .args(&args)
            .output()
            .unwrap();
        assert_refused(&out, "no warehouse at warehuose.db");
        assert!(
            stderr(&out).contains("exercise migrate"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!ws.path("warehuose.db").exists());
}

#[test]
fn another_duckdb_file_is_refused_and_left_alone() {
    let ws = Workspace::new();
    let other = ws.path("other.duckdb");
    {
        let conn = duckdb::Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE mine AS SELECT 42 AS answer")
            .unwrap();
    }
    let before = file_state(&other);
    let out = ws
        .exercise()
        .arg("--db")
        .arg(&other)
        .args(["query", "SELECT * FROM mine"])
        .output()
        .unwrap();
    assert_refused(&out, "not an exercise warehouse");
    let out = ws
        .exercise()
        .arg("--db")
        .arg(&other)
        .arg("status")
        .output()
        .unwrap();
    assert_refused(&out, "not an exercise warehouse");
    assert_eq!(file_state(&other), before);
    let conn = duckdb::Connection::open(&other).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM duckdb_tables()", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1);
}

#[test]
fn a_sqlite_file_is_refused_without_fetching_an_extension() {
    let ws = Workspace::new();
    // The first bytes of every SQLite 3 database, which DuckDB recognises.
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.resize(4096, 0);
    std::fs::write(ws.path("app.sqlite"), &bytes).unwrap();
    for args in [
        vec!["query", "SELECT 1"],
        vec!["ingest-data", "votes.jsonl"],
    ] {
        let out = ws
            .exercise()
            .args(["--db", "app.sqlite"])
            .args(&args)
            .output()
            .unwrap();
        assert_refused(
            &out,
            "is not a DuckDB warehouse (it looks like a SQLite database)",
        );
    }
    assert_eq!(std::fs::read(ws.path("app.sqlite")).unwrap(), bytes);
}

#[test]
fn a_warehouse_that_needs_migrating_says_what_to_run() {
    let ws = loaded();
    {
        // as a warehouse of the build before meta.schema_views was added
        let conn = duckdb::Connection::open(ws.db()).unwrap();
        conn.execute_batch(
            "DROP TABLE meta.schema_views; DELETE FROM meta.schema_migrations WHERE version = 8",
        )
        .unwrap();
    }
    let out = ws.run(&["query", "SELECT count(*) FROM blog_analysis.votes"]);
    assert_refused(
        &out,
        "needs migrating (1 pending: V008__view_checksums.sql)",
    );
    assert!(stderr(&out).contains("exercise --db"), "{}", stderr(&out));
    ws.exercise().arg("migrate").assert().success();
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 16);
    {
        // views created by another build
        let conn = duckdb::Connection::open(ws.db()).unwrap();
        conn.execute_batch("UPDATE meta.schema_views SET checksum = 'other'")
            .unwrap();
    }
    let out = ws.run(&["status"]);
    assert_refused(&out, "views of warehouse");
    ws.exercise().arg("migrate").assert().success();
    ws.exercise().arg("status").assert().success();
}

#[test]
fn a_read_only_or_full_file_system_can_still_be_queried() {
    let ws = loaded();
    with_mount(&ws, "full", "size=8m", |full| {
        std::fs::copy(ws.db(), full.join("w.db")).unwrap();
        // fill the disk to the last byte
        let filler = vec![7u8; 1 << 16];
        let mut file = std::fs::File::create(full.join("filler")).unwrap();
        while std::io::Write::write_all(&mut file, &filler).is_ok() {}
        drop(file);
        let db = full.join("w.db");
        for args in [
            vec!["query", "SELECT count(*) AS n FROM blog_analysis.votes"],
            vec!["status"],
        ] {
            ws.exercise()
                .arg("--db")
                .arg(&db)
                .args(&args)
                .assert()
                .success();
        }
        // remount read-only: another user's or a snapshot's warehouse
        let ro = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(full)
            .status()
            .unwrap();
        assert!(ro.success());
        ws.exercise()
            .arg("--db")
            .arg(&db)
            .args([
                "query",
                "--format",
                "csv",
                "SELECT count(*) AS n FROM blog_analysis.votes",
            ])
            .assert()
            .success()
            .stdout("n\n16\n");
    });
}
