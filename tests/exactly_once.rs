//! Every file exactly once and the right file; values stored as sent or rejected with a reason; what is
//! printed from the data is safe for a terminal.
mod common;
use common::{resource_path, stderr, stdout, with_mount, LoadSummary, Workspace};
use predicates::{prelude::PredicateBooleanExt, str::contains};
use std::os::unix::fs::symlink;
use std::path::Path;

fn vote(id: &str, date: &str) -> String {
    format!(r#"{{"Id":"{id}","PostId":"1","VoteTypeId":"2","CreationDate":"{date}"}}"#)
}

/// Writes a votes Parquet file with the given Ids (all on 2022-01-03).
fn votes_parquet(path: &Path, ids: &[i64]) {
    let values: Vec<String> = ids
        .iter()
        .map(|id| format!("('{id}','1','2','2022-01-03T00:00:00.000')"))
        .collect();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM (VALUES {}) t(Id, PostId, VoteTypeId, CreationDate)) TO '{}' (FORMAT parquet)",
        values.join(", "),
        path.display()
    ))
    .unwrap();
}

#[test]
fn a_parquet_name_with_glob_characters_is_that_file_only() {
    let ws = Workspace::new();
    votes_parquet(&ws.path("v[1].parquet"), &[1, 2]);
    votes_parquet(&ws.path("v1.parquet"), &[100, 101, 102]);
    votes_parquet(&ws.path("v*.parquet"), &[7]);
    ws.ingest_data(&["v[1].parquet"]).success();
    assert_eq!(
        ws.csv("SELECT Id FROM blog_analysis.votes ORDER BY Id"),
        "Id\n1\n2\n"
    );
    // a path that exists is that file, glob characters or not
    ws.ingest_data(&["v*.parquet"]).success();
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 3);
    // a pattern typed by the user (no such file) matches v1.parquet and v*.parquet; each loads its own rows
    ws.ingest_data(&["v?.parquet"]).success();
    assert_eq!(
        ws.csv(
            "SELECT regexp_extract(l.path, '[^/]+$') AS file, count(v.Id) AS n, l.rows_inserted
             FROM meta.file_loads l LEFT JOIN blog_analysis.votes v ON v.source_file_id = l.file_load_id
             GROUP BY ALL ORDER BY file"
        ),
        "file,n,rows_inserted\nv*.parquet,1,1\nv1.parquet,3,3\nv[1].parquet,2,2\n"
    );
}

#[test]
fn a_telemetry_run_named_with_brackets_is_loaded_and_not_another() {
    let ws = Workspace::new();
    ws.copy_resource(
        "telemetry/run-0000-14362655785317539666.parquet",
        "runs/run[0].parquet",
    );
    // a decoy that the pattern run[0].parquet would match
    ws.generate(&["telemetry", "--readings", "3000", "--output", "gen"]);
    let generated = std::fs::read_dir(ws.path("gen"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::rename(generated, ws.path("runs/run0.parquet")).unwrap();
    let run = ws.path("runs/run[0].parquet");
    ws.ingest(
        "telemetry",
        &["--max-rejects", "1000", run.to_str().unwrap()],
    )
    .success();
    assert_eq!(
        ws.csv("SELECT run_uuid FROM telemetry.runs"),
        "run_uuid\n14362655785317539666\n"
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM telemetry.readings_raw"),
        38_989
    );
}

fn copy_sensor_logs(ws: &Workspace, dest: &str) -> Vec<String> {
    let dir = ws.path(dest);
    std::fs::create_dir_all(&dir).unwrap();
    let mut names = Vec::new();
    for entry in std::fs::read_dir(resource_path("datawow")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    names
}

fn assert_ledger_agrees_with_sensor_rows(ws: &Workspace) {
    assert_eq!(
        ws.count(
            "SELECT count(*) FROM meta.file_loads l
             WHERE l.status = 'loaded' AND l.rows_inserted <>
                   (SELECT count(*) FROM dwh.data_sample d WHERE d.source_file_id = l.file_load_id)"
        ),
        0
    );
    assert_eq!(
        ws.count(
            "SELECT count(*) FROM dwh.data_sample WHERE source_file_id NOT IN
             (SELECT file_load_id FROM meta.file_loads WHERE status = 'loaded')"
        ),
        0
    );
}

#[test]
fn sensor_logs_named_with_glob_characters_load_their_own_rows() {
    let ws = Workspace::new();
    let names = copy_sensor_logs(&ws, "logs");
    std::fs::rename(
        ws.path(&format!("logs/{}", names[0])),
        ws.path("logs/a[1].parquet"),
    )
    .unwrap();
    std::fs::rename(
        ws.path(&format!("logs/{}", names[1])),
        ws.path("logs/a1.parquet"),
    )
    .unwrap();
    let load = ws.ingest("sensor-logs", &["logs"]);
    assert_eq!((load.code, load.loaded), (Some(0), 2), "{load:?}");
    assert_eq!(load.rows(), (2 * 1914, 2 * 1914, 0, 0));
    assert_ledger_agrees_with_sensor_rows(&ws);
    assert_eq!(
        ws.count("SELECT count(DISTINCT source_file_id) FROM dwh.data_sample"),
        2
    );
}

#[test]
fn a_directory_link_loop_loads_each_file_once() {
    let ws = Workspace::new();
    copy_sensor_logs(&ws, "logs/day1");
    symlink(ws.path("logs"), ws.path("logs/day1/back")).unwrap();
    symlink(ws.path("logs/day1"), ws.path("logs/again")).unwrap();
    let load = ws.ingest("sensor-logs", &["logs"]);
    assert_eq!((load.code, load.loaded), (Some(0), 2), "{load:?}");
    assert_eq!(load.rows(), (2 * 1914, 2 * 1914, 0, 0));
    assert!(load.stdout.contains("skipped"), "{}", load.stdout);
    assert_eq!(ws.count("SELECT count(*) FROM dwh.data_sample"), 2 * 1914);
    assert_ledger_agrees_with_sensor_rows(&ws);
}

#[test]
fn a_link_to_itself_is_named_as_a_link_loop() {
    let ws = Workspace::new();
    symlink(ws.path("me.jsonl"), ws.path("me.jsonl")).unwrap();
    let load = ws.ingest_data(&["me.jsonl"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert!(
        load.stderr.contains("me.jsonl: symbolic link loop"),
        "{load}"
    );
}

#[test]
fn the_same_content_twice_in_one_run_is_loaded_once() {
    let ws = Workspace::new();
    let names = copy_sensor_logs(&ws, "logs");
    std::fs::copy(
        ws.path(&format!("logs/{}", names[0])),
        ws.path("logs/z-copy.parquet"),
    )
    .unwrap();
    let load = ws.ingest("sensor-logs", &["logs"]).success();
    assert!(
        load.stdout.contains(&format!(
            "skipped: logs/z-copy.parquet: same content as logs/{} (loaded in this run)",
            names[0]
        )),
        "{load}"
    );
    assert_eq!(ws.count("SELECT count(*) FROM dwh.data_sample"), 2 * 1914);
    // JSON lines too: the copy is found although new text files are otherwise hashed while read
    let text = format!(
        "{}\n{}\n",
        vote("1", "2022-01-03T00:00:00"),
        vote("2", "2022-01-04T00:00:00")
    );
    ws.write("votes/a.jsonl", &text);
    ws.write("votes/b.jsonl", &text);
    let load = ws.ingest_data(&["votes"]).success();
    assert!(
        load.stdout
            .contains("skipped: votes/b.jsonl: same content as votes/a.jsonl (loaded in this run)"),
        "{load}"
    );
    // every file counted once in the summary
    assert!(
        load.stdout.contains(
            "votes: 1 file(s) loaded, 0 unchanged and skipped, 1 copy(ies) of another file skipped, 0 failed"
        ),
        "{load}"
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM meta.file_loads WHERE dataset = 'votes'"),
        1
    );
}

#[test]
fn integers_are_taken_only_as_sign_and_digits() {
    let ws = Workspace::new();
    let date = "2022-01-03T00:00:00";
    let lines = [
        vote("1800.7", date),
        vote("0x710", date),
        vote("1_900", date),
        vote(" 12", date),
        vote("1e3", date),
        r#"{"Id":1800.5,"PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-03"}"#.to_string(),
        r#"{"Id":"20","PostId":"1","VoteTypeId":"2.6","CreationDate":"2022-01-03"}"#.to_string(),
        r#"{"Id":"21","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-03","BountyAmount":"50.5"}"#.to_string(),
        vote("+5", date),
        vote("007", date),
        r#"{"Id":30,"PostId":1,"VoteTypeId":2,"CreationDate":"2022-01-03","UserId":-4}"#.to_string(),
    ];
    ws.write("v.jsonl", &(lines.join("\n") + "\n"));
    let load = ws.ingest("votes", &["v.jsonl"]);
    assert_eq!(load.code, Some(1), "rejects make exit 1: {}", load.stderr);
    assert_eq!(load.rows(), (11, 3, 0, 8));
    assert_eq!(
        ws.csv("SELECT Id, UserId FROM blog_analysis.votes ORDER BY Id"),
        "Id,UserId\n5,\n7,\n30,-4\n"
    );
    assert_eq!(
        ws.csv("SELECT line_number, reason FROM blog_analysis.votes_rejected ORDER BY line_number"),
        "line_number,reason\n\
         1,Id is not an integer: 1800.7\n\
         2,Id is not an integer: 0x710\n\
         3,Id is not an integer: 1_900\n\
         4,Id is not an integer:  12\n\
         5,Id is not an integer: 1e3\n\
         6,Id is not an integer: 1800.5\n\
         7,VoteTypeId is not a small integer: 2.6\n\
         8,BountyAmount is not an integer: 50.5\n"
    );
}

#[test]
fn a_utc_offset_is_converted_and_an_implausible_year_rejected() {
    let ws = Workspace::new();
    let lines = [
        vote("1", "2022-01-02 00:00:00+05:00"),
        vote("2", "2022-01-02T00:00:00Z"),
        vote("3", "2022-01-02T03:30:00-0130"),
        vote("4", "2022-01-02T00:00:00.000"),
        vote("5", "99999-01-01T00:00:00"),
        vote("6", "-0001-01-01T00:00:00"),
        vote("7", "0001-01-01T00:00:00"),
        vote("8", "2022-01-02 00:00:00 EST"),
    ];
    ws.write("v.jsonl", &(lines.join("\n") + "\n"));
    ws.ingest_data(&["v.jsonl", "--max-rejects", "4"]).success();
    assert_eq!(
        ws.csv("SELECT Id, CreationDate FROM blog_analysis.votes ORDER BY Id"),
        "Id,CreationDate\n1,2022-01-01T19:00:00\n2,2022-01-02T00:00:00\n3,2022-01-02T05:00:00\n4,2022-01-02T00:00:00\n"
    );
    let reasons = ws.csv("SELECT line_number, reason FROM blog_analysis.votes_rejected ORDER BY 1");
    assert!(
        reasons.contains("5,CreationDate is outside the years 1900-2199: 99999-01-01T00:00:00"),
        "{reasons}"
    );
    assert!(
        reasons.contains("7,CreationDate is outside the years 1900-2199: 0001-01-01T00:00:00"),
        "{reasons}"
    );
    assert!(reasons.contains("\n6,CreationDate is"), "{reasons}");
    assert!(
        reasons.contains("8,CreationDate is not a valid timestamp: 2022-01-02 00:00:00 EST"),
        "{reasons}"
    );
}

#[test]
fn a_byte_order_mark_opens_the_file_and_is_not_data() {
    let ws = Workspace::new();
    let text = format!(
        "\u{feff}{}\n{}\n",
        vote("1", "2022-01-03"),
        vote("2", "2022-01-04")
    );
    ws.write("bom.jsonl", &text);
    ws.ingest_data(&["bom.jsonl"]).success();
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 2);
    // telemetry CSV: the header is line 1
    ws.write(
        "run.csv",
        "\u{feff}time,value,field,robot_id,run_uuid,sensor_type\n\
         2022-11-23T20:40:00.000Z,1.5,x,1,77,encoder\n\
         2022-11-23T20:40:00.010Z,1.6,x,1,77,encoder\n",
    );
    ws.ingest("telemetry", &["run.csv"]).success();
    assert_eq!(ws.count("SELECT count(*) FROM telemetry.readings_raw"), 2);
}

#[test]
fn a_repeated_json_key_is_a_reject_naming_it() {
    let ws = Workspace::new();
    ws.write(
        "v.jsonl",
        &format!(
            "{}\n{}\n",
            r#"{"Id":"1","Id":"2","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-03"}"#,
            vote("3", "2022-01-03")
        ),
    );
    let load = ws.ingest_data(&["v.jsonl"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert!(
        load.stderr.contains("v.jsonl:1: duplicated key Id"),
        "{load}"
    );
    assert_eq!(ws.csv("SELECT Id FROM blog_analysis.votes"), "Id\n3\n");
}

#[test]
fn stocks_stedi_and_telemetry_integers_are_exact_too() {
    let ws = Workspace::new();
    ws.write(
        "stocks/stocks/AAA.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume\n\
         2020-01-02,1.0,2.0,0.5,1.5,1.5,1158000.0\n\
         2020-01-03,1.0,2.0,0.5,1.5,1.5,1_158_000\n\
         2020-01-06,1.0,2.0,0.5,1.5,1.5,0x10\n\
         2020-01-07,1.0,2.0,0.5,1.5,1.5,1158000.5\n\
         2020-01-08,0x1,2.0,0.5,1.5,1.5,100\n\
         99999-01-09,1.0,2.0,0.5,1.5,1.5,100\n\
         infinity,1.0,2.0,0.5,1.5,1.5,100\n",
    );
    ws.write(
        "stocks/symbols_valid_meta.csv",
        "Nasdaq Traded,Symbol,Security Name,Listing Exchange,Market Category,ETF,Round Lot Size,Test Issue,Financial Status,CQS Symbol,NASDAQ Symbol,NextShares\n\
         Y,AAA,AAA Corp,N, ,N,100.0,N,,AAA,AAA,N\n",
    );
    ws.ingest("stocks", &["stocks", "--max-rejects", "10"])
        .success();
    assert_eq!(
        ws.csv("SELECT Date, Volume FROM market.prices"),
        "Date,Volume\n2020-01-02,1158000\n"
    );
    let reasons = ws.csv("SELECT reason FROM market.prices_rejected ORDER BY line_number");
    assert_eq!(
        reasons,
        "reason\nVolume is not a whole number: 1_158_000\nVolume is not a whole number: 0x10\n\
         Volume is not a whole number: 1158000.5\nOpen is not a number: 0x1\n\
         Date is not a date (YYYY-MM-DD): 99999-01-09\n\
         Date is not a date (YYYY-MM-DD): infinity\n"
    );
    ws.write(
        "stedi/step_trainer/s.json",
        "{\"sensorReadingTime\":1655564444000,\"serialNumber\":\"a\",\"distanceFromObject\":2.6}\n\
         {\"sensorReadingTime\":1655564444000.5,\"serialNumber\":\"a\",\"distanceFromObject\":2}\n\
         {\"sensorReadingTime\":1655564444000,\"serialNumber\":\"a\",\"serialNumber\":\"b\",\"distanceFromObject\":2}\n\
         {\"sensorReadingTime\":1655564444000,\"serialNumber\":\"a\",\"distanceFromObject\":2}\n",
    );
    ws.ingest("stedi", &["stedi", "--max-rejects", "10"])
        .success();
    assert_eq!(
        ws.csv("SELECT reason FROM stedi_landing.rejected ORDER BY line_number"),
        "reason\ndistanceFromObject is not an integer: 2.6\n\
         sensorReadingTime is not whole epoch milliseconds of the years 1900-2199: 1655564444000.5\n\
         duplicated key serialNumber\n"
    );
    ws.write(
        "run.csv",
        "time,value,field,robot_id,run_uuid,sensor_type\n\
         2022-11-23T20:40:00.000Z,1.5,x,1.4,77,encoder\n\
         2022-11-23T20:40:00.000Z,1.5,x,1,77.5,encoder\n\
         2022-11-23T20:40:00.000Z,1.5,x,1,77,encoder\n\
         infinity,1.5,y,1,77,encoder\n\
         -infinity,1.5,z,1,77,encoder\n",
    );
    // (A time of 'infinity' has no year: it once passed as neither a reading nor a reject. As text it is
    // no timestamp; a Parquet TIMESTAMP of infinity is outside the years.)
    ws.ingest("telemetry", &["run.csv", "--max-rejects", "10"])
        .success();
    assert_eq!(
        ws.csv("SELECT reason FROM telemetry.readings_rejected ORDER BY line_number"),
        "reason\nrobot_id is not an integer: 1.4\nrun_uuid is not an unsigned 64-bit integer: 77.5\n\
         time is not a timestamp: infinity\ntime is not a timestamp: -infinity\n"
    );
}

#[test]
fn printed_data_is_escaped_and_capped_while_the_rejects_keep_it_whole() {
    let ws = Workspace::new();
    let huge = "9".repeat(2_000_000) + "x";
    let lines = [
        vote("\\u001b]0;owned\\u0007\\u001b[2J", "2022-01-03"),
        vote(&huge, "2022-01-03"),
        vote("1", "2022-01-03"),
    ];
    ws.write("v\u{1b}[31m.jsonl", &(lines.join("\n") + "\n"));
    let file = ws.path("v\u{1b}[31m.jsonl");
    let load = ws
        .ingest_data(&["--max-rejects", "5", file.to_str().unwrap()])
        .success();
    let (o, e) = (&load.stdout, &load.stderr);
    assert!(
        !o.contains('\u{1b}') && !e.contains('\u{1b}'),
        "an escape reached the terminal: {o} {e}"
    );
    assert!(!o.contains('\u{7}') && !e.contains('\u{7}'));
    assert!(
        e.contains("Id is not an integer: \\x1b]0;owned\\x07\\x1b[2J"),
        "{e}"
    );
    assert!(o.contains("v\\x1b[31m.jsonl"), "{o}");
    assert!(e.len() < 4_000, "stderr is {} bytes", e.len());
    assert!(e.contains("... (2000023 bytes)"), "{e}");
    assert_eq!(
        ws.count("SELECT max(length(raw)) FROM blog_analysis.votes_rejected") as usize,
        lines[1].len()
    );
    // query's table output escapes too; CSV stays exact
    ws.exercise()
        .args(["query", "SELECT chr(27) || '[2J' || 'x' AS cell"])
        .assert()
        .stdout(contains("\\x1b[2Jx"))
        .stdout(contains('\u{1b}').not());
}

#[test]
fn timings_are_on_only_for_a_true_value() {
    let ws = Workspace::new();
    ws.copy_resource("votes/example.jsonl", "v.jsonl");
    for (value, shown) in [("", false), ("0", false), ("1", true)] {
        let out = ws
            .exercise()
            .env("EXERCISE_TIMINGS", value)
            .args(["ingest-data", "--force", "v.jsonl"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            stderr(&out).contains("timing:"),
            shown,
            "EXERCISE_TIMINGS={value:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_full_disk_during_a_sensor_log_batch_is_the_runs_error_not_the_files() {
    let ws = Workspace::new();
    ws.generate(&["sensor-logs", "--minutes", "400", "--output", "logs"]);
    with_mount(&ws, "small", "size=6m", |dir| {
        let db = dir.join("w.db");
        let out = ws
            .exercise()
            .arg("--db")
            .arg(&db)
            .arg("migrate")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let out = ws
            .exercise()
            .arg("--db")
            .arg(&db)
            .args(["ingest-data", "--dataset", "sensor-logs", "logs"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(
            !stderr(&out).contains("failed:"),
            "a healthy file was blamed: {}",
            stderr(&out)
        );
        // make room, then look: nothing of the failed batch is there, and no file is recorded as failed
        std::fs::copy(&db, ws.path("after.db")).ok();
        let wal = dir.join("w.db.wal");
        if wal.exists() {
            std::fs::copy(&wal, ws.path("after.db.wal")).unwrap();
        }
        let out = ws
            .exercise()
            .arg("--db")
            .arg(ws.path("after.db"))
            .arg("migrate")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let check = ws
            .exercise()
            .arg("--db")
            .arg(ws.path("after.db"))
            .args([
                "query",
                "--format",
                "csv",
                "SELECT (SELECT count(*) FROM meta.file_loads WHERE status = 'failed') AS failed,
                        (SELECT count(*) FROM dwh.data_sample) - (SELECT coalesce(sum(rows_inserted), 0)
                          FROM meta.file_loads WHERE status = 'loaded') AS unaccounted",
            ])
            .output()
            .unwrap();
        assert_eq!(
            stdout(&check),
            "failed,unaccounted\n0,0\n",
            "{}",
            stderr(&check)
        );
    });
}

#[test]
fn timestamps_keep_every_digit_and_only_real_offsets() {
    let ws = Workspace::new();
    let lines = [
        vote("1", "2022-01-02T00:00:00.1234567"),
        vote("2", "2022-01-02T00:00:00+25:00"),
        vote("3", "2022-01-02T00:00:00z"),
        vote("4", "2022-01-02T00:00:00.123456+05:30"),
        vote("5", "2022-01-02T00:00:00+0530"),
    ];
    ws.write("v.jsonl", &(lines.join("\n") + "\n"));
    let load = ws.ingest("votes", &["v.jsonl", "--max-rejects", "2"]);
    assert_eq!(load.code, Some(0), "{load}");
    assert_eq!(load.rows(), (5, 3, 0, 2));
    assert_eq!(
        ws.csv("SELECT Id, CreationDate FROM blog_analysis.votes ORDER BY Id"),
        "Id,CreationDate\n3,2022-01-02T00:00:00\n4,2022-01-01T18:30:00.123456\n5,2022-01-01T18:30:00\n"
    );
    let reasons = ws.csv("SELECT line_number, reason FROM blog_analysis.votes_rejected ORDER BY 1");
    assert!(
        reasons.contains("1,CreationDate is not a valid timestamp: 2022-01-02T00:00:00.1234567"),
        "{reasons}"
    );
    assert!(
        reasons.contains("2,CreationDate is not a valid timestamp: 2022-01-02T00:00:00+25:00"),
        "{reasons}"
    );
}

#[test]
fn stedi_sources_come_from_the_nearest_folder_and_decimals_are_exact() {
    let ws = Workspace::new();
    // the project itself lives under a folder called customer/
    ws.write(
        "customer/project/data/accelerometer/a.json",
        "{\"user\":\"a@x.org\",\"timestamp\":1655564444000,\"x\":1.5,\"y\":2,\"z\":3}\n\
         {\"user\":\"a@x.org\",\"timestamp\":1655564445000,\"x\":\"+-1\",\"y\":2,\"z\":3}\n\
         {\"user\":\"a@x.org\",\"timestamp\":1655564446000,\"x\":\"1\\t\",\"y\":2,\"z\":3}\n",
    );
    let load = ws.ingest("stedi", &["customer/project/data", "--max-rejects", "5"]);
    assert_eq!(load.code, Some(0), "{load}");
    assert_eq!(load.rows(), (3, 1, 0, 2));
    assert_eq!(
        ws.count("SELECT count(*) FROM stedi_landing.accelerometer"),
        1
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM stedi_landing.rejected WHERE reason = 'x, y and z must be finite numbers'"),
        2
    );
}

#[test]
fn a_bad_file_in_a_folder_named_like_the_warehouse_fails_alone() {
    let ws = Workspace::new();
    copy_sensor_logs(&ws, "logs.db.in");
    std::fs::write(
        ws.path("logs.db.in/broken.parquet"),
        b"PAR1 not really parquet",
    )
    .unwrap();
    let out = ws.run(&[
        "--db",
        "logs.db",
        "ingest-data",
        "--dataset",
        "sensor-logs",
        "logs.db.in",
    ]);
    let load = LoadSummary::parse(&out);
    assert_eq!(load.code, Some(1), "{load}");
    assert_eq!((load.loaded, load.failed), (2, 1), "{load}");
    assert!(
        load.stderr.contains("failed: logs.db.in/broken.parquet"),
        "{load}"
    );
}
