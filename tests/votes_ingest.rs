//! Votes ingestion through the real binary on temp warehouses.
mod common;
use common::{stderr, stdout, Workspace};
use std::io::{Read, Write};

const GOOD: &str =
    r#"{"Id":"1","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02T00:00:00.000"}"#;

fn line(id: &str, date: &str) -> String {
    format!(r#"{{"Id":"{id}","PostId":"3","VoteTypeId":"2","CreationDate":"{date}"}}"#)
}

#[test]
fn example_file_gives_the_exercise_outlier_table() {
    let ws = Workspace::new();
    let data = ws.copy_resource("votes/example.jsonl", "uncommitted/votes.jsonl");
    let load = ws.ingest_data(&[]).success();
    assert_eq!(load.rows(), (16, 16, 0, 0), "{load}");
    assert!(data.exists());
    let out = ws.run(&["outliers"]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("outliers_example", stdout(&out));
    assert_eq!(
        ws.csv("SELECT * FROM blog_analysis.outlier_weeks"),
        "Year,WeekNumber,VoteCount\n2022,0,1\n2022,1,3\n2022,2,3\n2022,5,1\n2022,6,1\n2022,8,1\n"
    );
}

#[test]
fn votes_are_typed_with_optional_fields_null_when_absent() {
    let ws = Workspace::new();
    let data = ws.copy_resource("votes/sample.jsonl", "in/sample.jsonl");
    let load = ws.ingest_data(&[data.to_str().unwrap()]).success();
    assert_eq!(load.rows(), (6, 5, 1, 0), "{load}");
    assert!(load.stdout.contains("unknown fields: Comment"), "{load}");
    assert_eq!(
        ws.csv("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'blog_analysis' AND table_name = 'votes' ORDER BY ordinal_position"),
        "column_name,data_type\nId,BIGINT\nPostId,BIGINT\nVoteTypeId,SMALLINT\nCreationDate,TIMESTAMP\nUserId,BIGINT\nBountyAmount,INTEGER\nsource_file_id,BIGINT\nline_number,BIGINT\n"
    );
    assert_eq!(
        ws.csv("SELECT Id, PostId, VoteTypeId, CreationDate, UserId, BountyAmount, line_number FROM blog_analysis.votes ORDER BY Id"),
        "Id,PostId,VoteTypeId,CreationDate,UserId,BountyAmount,line_number\n\
         101,7,2,2023-03-06T00:00:00,,,1\n\
         102,7,5,2023-03-06T00:00:00,42,,2\n\
         103,9,8,2023-03-07T00:00:00,17,50,3\n\
         104,9,2,2023-03-13T00:00:00,,,4\n\
         105,9,9,2023-03-14T00:00:00,,50,6\n"
    );
}

#[test]
fn rerun_skips_unchanged_file_and_force_adds_nothing() {
    let ws = Workspace::new();
    ws.copy_resource("votes/example.jsonl", "uncommitted/votes.jsonl");
    ws.ingest_data(&[]).success();
    let load = ws.ingest_data(&[]).success();
    assert_eq!((load.loaded, load.unchanged), (0, 1), "{load}");
    let load = ws.ingest_data(&["--force"]).success();
    assert_eq!(load.rows(), (16, 0, 16, 0), "{load}");
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 16);
    assert_eq!(ws.count("SELECT count(*) FROM meta.file_loads"), 2);
}

#[test]
fn duplicates_across_files_and_a_changed_file_add_only_new_ids() {
    let ws = Workspace::new();
    let a = ws.write(
        "in/a.jsonl",
        &format!("{}\n{}\n", line("1", "2022-01-03"), line("2", "2022-01-03")),
    );
    ws.write(
        "in/b.jsonl",
        &format!(
            "{}\n{}\n{}\n",
            line("2", "2022-01-04"),
            line("3", "2022-01-04"),
            line("3", "2022-01-05")
        ),
    );
    let load = ws.ingest_data(&["in"]).success();
    assert_eq!(load.rows(), (5, 3, 2, 0), "{load}");
    // first occurrence wins: Id 3 keeps its first line's date
    assert_eq!(
        ws.csv("SELECT CreationDate FROM blog_analysis.votes WHERE Id = 3"),
        "CreationDate\n2022-01-04T00:00:00\n"
    );
    std::fs::write(
        &a,
        format!(
            "{}\n{}\n{}\n",
            line("1", "2022-01-03"),
            line("2", "2022-01-03"),
            line("4", "2022-01-06")
        ),
    )
    .unwrap();
    let load = ws.ingest_data(&["in/*.jsonl"]).success();
    assert_eq!((load.loaded, load.unchanged), (1, 1), "{load}");
    assert_eq!(load.rows(), (3, 1, 2, 0), "{load}");
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 4);
}

#[test]
fn malformed_line_in_the_middle_is_quarantined_with_file_and_line() {
    let ws = Workspace::new();
    let body = format!(
        "{}\n{}\n{{\"Id\":\"3\",\"PostId\n{}\n",
        line("1", "2022-01-03"),
        line("2", "2022-01-03"),
        line("4", "2022-01-03")
    );
    ws.write("in/votes.jsonl", &body);
    let load = ws.ingest_data(&["in/votes.jsonl"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert!(
        load.stderr
            .contains("rejected: in/votes.jsonl:3: malformed JSON"),
        "{load}"
    );
    assert_eq!(load.rows(), (4, 3, 0, 1), "{load}");
    assert_eq!(
        ws.csv("SELECT regexp_extract(source_file, '[^/]*$') AS f, line_number, raw, reason FROM blog_analysis.votes_rejected"),
        "f,line_number,raw,reason\nvotes.jsonl,3,\"{\"\"Id\"\":\"\"3\"\",\"\"PostId\",malformed JSON\n"
    );
    // read again with --force, the line is a duplicate of the reject already kept, not a second reject
    let again = ws.ingest_data(&["in/votes.jsonl", "--force"]);
    assert_eq!(again.code, Some(0), "{again}");
    assert_eq!(again.rows(), (4, 0, 4, 0), "{again}");
    // the file grows by a bad line: only that line is a new reject
    ws.write("in/votes.jsonl", &format!("{body}not json\n"));
    let grown = ws.ingest_data(&["in/votes.jsonl", "--max-rejects", "5"]);
    assert_eq!(grown.rows(), (5, 0, 4, 1), "{grown}");
    assert_eq!(
        ws.csv("SELECT line_number, raw FROM blog_analysis.votes_rejected ORDER BY line_number"),
        "line_number,raw\n3,\"{\"\"Id\"\":\"\"3\"\",\"\"PostId\"\n5,not json\n"
    );
}

#[test]
fn non_numeric_id_and_impossible_date_are_rejected_with_reasons() {
    let ws = Workspace::new();
    let body = format!(
        "{}\n{}\n{}\n{}\n",
        line("abc", "2022-01-03"),
        line("2", "2022-02-30T00:00:00.000"),
        r#"{"Id":"3","VoteTypeId":"2","CreationDate":"2022-01-03"}"#,
        line("4", "2022-01-03")
    );
    ws.write("v.jsonl", &body);
    let load = ws.ingest_data(&["v.jsonl"]);
    assert_eq!(load.code, Some(1), "{load}");
    let err = &load.stderr;
    assert!(
        err.contains("v.jsonl:1: Id is not an integer: abc"),
        "{err}"
    );
    assert!(
        err.contains("v.jsonl:2: CreationDate is not a valid timestamp: 2022-02-30T00:00:00.000"),
        "{err}"
    );
    assert!(
        err.contains("v.jsonl:3: missing required field PostId"),
        "{err}"
    );
    assert_eq!(ws.csv("SELECT Id FROM blog_analysis.votes"), "Id\n4\n");
    assert_eq!(
        ws.count("SELECT count(*) FROM blog_analysis.votes_rejected"),
        3
    );
}

#[test]
fn nonexistent_path_is_one_clear_error() {
    let ws = Workspace::new();
    let load = ws.ingest_data(&["nope/votes.jsonl"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert_eq!(
        load.stderr.trim(),
        "error: nope/votes.jsonl: no such file or directory"
    );
}

#[test]
fn directory_without_matching_files_is_an_error() {
    let ws = Workspace::new();
    ws.write("in/readme.txt", "hello");
    let load = ws.ingest_data(&["in"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert!(
        load.stderr
            .contains("in: directory has no files ending in .jsonl"),
        "{load}"
    );
}

/// A failing run must leave no trace: no votes, no rejects, no ledger rows.
fn assert_nothing_loaded(ws: &Workspace) {
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 0);
    assert_eq!(
        ws.count("SELECT count(*) FROM blog_analysis.votes_rejected"),
        0
    );
    assert_eq!(ws.count("SELECT count(*) FROM meta.file_loads"), 0);
}

#[test]
fn empty_file_fails_the_run_and_loads_nothing() {
    let ws = Workspace::new();
    ws.write("in/a.jsonl", &format!("{GOOD}\n"));
    ws.write("in/b.jsonl", "\n  \n");
    let load = ws.ingest_data(&["in"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert!(load.stderr.contains("b.jsonl: file is empty"), "{load}");
    assert_nothing_loaded(&ws);
}

#[test]
fn a_file_that_is_not_json_fails_the_run() {
    let ws = Workspace::new();
    ws.write("in/a.jsonl", &format!("{GOOD}\n"));
    // (the first lines are blank: the message quotes the first line that is not)
    ws.write("in/b.jsonl", "\n \nId,PostId,VoteTypeId\n1,2,3\n");
    let load = ws.ingest_data(&["in"]);
    assert_eq!(load.code, Some(1), "{load}");
    let err = &load.stderr;
    assert!(
        err.contains(
            "b.jsonl: is not newline-delimited JSON: none of its 2 lines parses (line 3: malformed JSON)"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_nothing_loaded(&ws);
}

#[test]
fn binary_garbage_is_not_json_either() {
    let ws = Workspace::new();
    std::fs::write(
        ws.path("bin.jsonl"),
        [0xffu8, 0xfe, 0x00, 0x01, b'\n', 0x80, 0x81],
    )
    .unwrap();
    let load = ws.ingest_data(&["bin.jsonl"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert!(
        load.stderr
            .contains("bin.jsonl: is not newline-delimited JSON"),
        "{load}"
    );
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzipped_jsonl_loads() {
    let ws = Workspace::new();
    let text = std::fs::read_to_string(common::resource_path("votes/example.jsonl")).unwrap();
    std::fs::write(ws.path("votes.jsonl.gz"), gzip(&text)).unwrap();
    ws.ingest_data(&["votes.jsonl.gz"]).success();
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 16);
}

#[test]
fn truncated_gzip_fails_the_run_and_loads_nothing() {
    let ws = Workspace::new();
    ws.write("in/a.jsonl", &format!("{GOOD}\n"));
    let text: String = (1..2000)
        .map(|i| line(&i.to_string(), "2022-01-03") + "\n")
        .collect();
    let gz = gzip(&text);
    std::fs::write(ws.path("in/b.jsonl.gz"), &gz[..gz.len() / 2]).unwrap();
    let load = ws.ingest_data(&["in"]);
    assert_eq!(load.code, Some(1), "{load}");
    let err = &load.stderr;
    // the line named is the last whole line the truncated stream still holds
    let mut intact = Vec::new();
    let _ = flate2::read::MultiGzDecoder::new(&gz[..gz.len() / 2]).read_to_end(&mut intact);
    let lines = intact.iter().filter(|&&b| b == b'\n').count();
    assert!(lines > 100, "{lines}");
    assert!(
        err.contains(&format!(
            "b.jsonl.gz: compressed data is truncated or corrupt after line {lines} "
        )),
        "{err}"
    );
    assert_nothing_loaded(&ws);
}

#[test]
fn parquet_votes_load_through_the_same_typing() {
    let ws = Workspace::new();
    let path = ws.path("votes.parquet");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM (VALUES ('1','1','2','2022-01-03T00:00:00.000', NULL), ('2','1','2','2022-01-04T00:00:00.000', '7'), ('x','1','2','2022-01-04', NULL))
              t(Id, PostId, VoteTypeId, CreationDate, UserId)) TO '{}' (FORMAT parquet)",
        path.display()
    ))
    .unwrap();
    let load = ws.ingest_data(&["votes.parquet"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert_eq!(load.rows(), (3, 2, 0, 1), "{load}");
    assert!(
        load.stderr
            .contains("votes.parquet:3: Id is not an integer: x"),
        "{load}"
    );
    assert_eq!(
        ws.csv("SELECT Id, UserId FROM blog_analysis.votes ORDER BY Id"),
        "Id,UserId\n1,\n2,7\n"
    );
}

#[test]
fn parquet_and_json_lines_in_one_run_are_typed_together() {
    let ws = Workspace::new();
    let path = ws.path("data/a.parquet");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM (VALUES ('1','1','2','2022-01-03T00:00:00.000'), ('2','1','2','2022-01-04T00:00:00.000'))
              t(Id, PostId, VoteTypeId, CreationDate)) TO '{}' (FORMAT parquet)",
        path.display()
    ))
    .unwrap();
    // b.jsonl repeats Id 2 (a duplicate of the Parquet row, which comes first), adds Id 3, and has a bad line
    ws.write(
        "data/b.jsonl",
        &format!(
            "{}\n{}\n{{\"Id\": oops\n",
            line("2", "2022-01-04T00:00:00.000"),
            line("3", "2022-01-05T00:00:00.000")
        ),
    );
    let load = ws.ingest_data(&["data"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert_eq!(load.rows(), (5, 3, 1, 1), "{load}");
    assert_eq!(
        ws.csv("SELECT regexp_extract(source_file, '[^/]*$') AS f, line_number, raw, reason FROM blog_analysis.votes_rejected"),
        "f,line_number,raw,reason\nb.jsonl,3,\"{\"\"Id\"\": oops\",malformed JSON\n"
    );
    assert_eq!(
        ws.csv("SELECT Id, regexp_extract(f.path, '[^/]*$') AS f FROM blog_analysis.votes v JOIN meta.file_loads f ON f.file_load_id = v.source_file_id ORDER BY Id"),
        "Id,f\n1,a.parquet\n2,a.parquet\n3,b.jsonl\n"
    );
}

#[test]
fn generated_votes_balance_and_quarantine_the_bad_lines() {
    let ws = Workspace::new();
    ws.generate(&[
        "votes",
        "--rows",
        "20000",
        "--output",
        "gen/votes.jsonl",
        "--bad-rate",
        "0.01",
    ]);
    ws.ingest_data(&["gen/votes.jsonl", "--max-rejects", "1000"])
        .success();
    let read = ws.count("SELECT rows_read FROM meta.file_loads");
    let inserted = ws.count("SELECT rows_inserted FROM meta.file_loads");
    let dups = ws.count("SELECT rows_duplicate FROM meta.file_loads");
    let rejected = ws.count("SELECT rows_rejected FROM meta.file_loads");
    assert_eq!(read, 20000);
    assert_eq!(read, inserted + dups + rejected);
    assert!(dups > 100 && dups < 400, "about 1% duplicates, got {dups}");
    assert!(
        rejected > 100 && rejected < 400,
        "about 1% bad lines, got {rejected}"
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM blog_analysis.votes"),
        inserted
    );
    assert_eq!(
        ws.count("SELECT count(*) FROM blog_analysis.votes_rejected"),
        rejected
    );
    assert_eq!(
        ws.count("SELECT count(*) - count(DISTINCT Id) FROM blog_analysis.votes"),
        0
    );
    // optional fields are absent, not null, in most lines
    assert!(
        ws.count("SELECT count(*) FROM blog_analysis.votes WHERE UserId IS NULL") > inserted / 2
    );
}

/// Loads `rel`, moves its modification time two minutes ahead, and expects the re-run to skip it
/// because the hash recorded while it was read matches its bytes.
fn load_touch_and_expect_skip(ws: &Workspace, rel: &str) {
    ws.ingest_data(&[rel]).success();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(120);
    let file = std::fs::File::options()
        .write(true)
        .open(ws.path(rel))
        .unwrap();
    file.set_modified(later).unwrap();
    let load = ws.ingest_data(&[rel]);
    assert_eq!((load.loaded, load.unchanged), (0, 1), "{rel}: {load}");
}

#[test]
fn a_touched_file_with_the_same_content_is_skipped_by_its_hash() {
    let ws = Workspace::new();
    let data = ws.copy_resource("votes/example.jsonl", "v.jsonl");
    load_touch_and_expect_skip(&ws, "v.jsonl");
    // gzipped: the hash covers the compressed bytes as they are on disk
    let text = std::fs::read_to_string(&data).unwrap();
    std::fs::write(ws.path("v2.jsonl.gz"), gzip(&text)).unwrap();
    load_touch_and_expect_skip(&ws, "v2.jsonl.gz");
}

/// The reader hands over the strings of plain lines (only known keys, string or null values) and SQL
/// parses the rest: both paths must land and reject the same (`EXERCISE_TYPED_LINES=off` sends every
/// line's text to SQL).
#[test]
fn plain_lines_handed_over_by_the_reader_land_exactly_as_parsed_ones() {
    let lines = [
        GOOD,
        r#"{"Id":"2","PostId":"1","VoteTypeId":"5","CreationDate":"2022-01-02T00:00:00.000","UserId":"42","BountyAmount":"50"}"#,
        r#" { "CreationDate" : "2022-01-03T10:00:00+02:00" , "VoteTypeId":"2","PostId":"9","Id":"3","UserId":null } "#,
        r#"{"Id":"4","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02"}"#,
        r#"{"Id":"5","PostId":"x","VoteTypeId":"2","CreationDate":"2022-01-02"}"#,
        r#"{"Id":"6","PostId":"1","VoteTypeId":"99999","CreationDate":"2022-01-02"}"#,
        r#"{"Id":"7","PostId":"1","VoteTypeId":"2","CreationDate":"2022-02-30T00:00:00"}"#,
        r#"{"Id":"8","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02","Comment":"hi"}"#,
        r#"{"Id":"9","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02","Id":"10"}"#,
        r#"{"Id":11,"PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02"}"#,
        r#"{"Id":"12","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02","UserId":true}"#,
        r#"{"Id":"1\u0033","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02"}"#,
        r#"{"Id":" 14","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02"}"#,
        r#"{"Id":"+15","PostId":"-1","VoteTypeId":"2","CreationDate":"2022-01-02 03:04:05.123456"}"#,
        r#"{"Id":"16","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02T03:04:05.1234567"}"#,
        r#"{"Id":"17","PostId":"1","VoteTypeId":"2"}"#,
        r#"{"Id":"18","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02"} x"#,
        r#"{"Id":"1","PostId":"2","VoteTypeId":"2","CreationDate":"2022-01-05"}"#,
        r#"{}"#,
        r#""Id""#,
        r#"{"Id":"19","PostId":"1","VoteTypeId":"2","CreationDate":"2300-01-02T00:00:00"}"#,
        r#"{"Id":"20","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02T00:00:00","BountyAmount":"3000000000"}"#,
        r#"{"Id":"021","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02T00:00:00"}"#,
        r#"{"Id":"-0","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02T00:00:00"}"#,
        r#"{"Id":"22","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02T00:00:00.5","UserId":"-7"}"#,
        r#"{"Id":"23","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02T23:59:60"}"#,
        r#"{"Id":"24","PostId":"1","VoteTypeId":"-32769","CreationDate":"2022-01-02 00:00:00"}"#,
        r#"{"Id":"25","PostId":"1","VoteTypeId":"2","CreationDate":"2022-01-02T00:00:00","UserId":null,"UserId":"1"}"#,
        r#"{"Id":"26","PostId":"1","VoteTypeId":"2","CreationDate":"1899-12-31T23:59:59.999999"}"#,
    ];
    let load = |typed: &str| {
        let ws = Workspace::new();
        ws.write("v1.jsonl", &lines.join("\n"));
        ws.write("v2.jsonl", &(lines[..4].join("\r\n") + "\r\n"));
        let tables = [
            "SELECT * FROM blog_analysis.votes ORDER BY ALL",
            "SELECT * EXCLUDE (rejected_at, source_file) FROM blog_analysis.votes_rejected ORDER BY ALL",
        ];
        let args = ["v1.jsonl", "v2.jsonl", "--max-rejects", "100"];
        ws.ingest_typed(typed, &args, &tables).1
    };
    let typed = load("on");
    assert_eq!(typed, load("off"));
    assert!(
        typed[0].contains("2,1,5,2022-01-02T00:00:00,42,50,1"),
        "{}",
        typed[0]
    );
    assert!(
        typed[0].contains("3,9,2,2022-01-03T08:00:00,,,1"),
        "{}",
        typed[0]
    );
    for reason in [
        "VoteTypeId is not a small integer: 99999",
        "VoteTypeId is not a small integer: -32769",
        "CreationDate is outside the years 1900-2199: 2300-01-02T00:00:00",
        "BountyAmount is not an integer: 3000000000",
    ] {
        assert!(typed[1].contains(reason), "{reason}: {}", typed[1]);
    }
    assert!(
        typed[0].contains("22,1,2,2022-01-02T00:00:00.500,-7,,1"),
        "{}",
        typed[0]
    );
}

/// The unique index on Id: `(rows, unique indexes on exactly Id)` of blog_analysis.votes.
fn votes_and_id_index(ws: &Workspace) -> (i64, i64) {
    (
        ws.count("SELECT count(*) FROM blog_analysis.votes"),
        ws.count(
            "SELECT count(*) FROM duckdb_indexes() WHERE schema_name = 'blog_analysis'
             AND table_name = 'votes' AND is_unique AND expressions = '[Id]'",
        ),
    )
}

/// A vote written by hand, bypassing the loader: the failed output when refused.
fn write_vote_by_hand(ws: &Workspace, id: i64) -> std::process::Output {
    ws.exercise()
        .args([
            "query",
            "--write",
            &format!("INSERT INTO blog_analysis.votes VALUES ({id}, 9, 2, TIMESTAMP '2022-01-05', NULL, NULL, 1, NULL)"),
        ])
        .output()
        .unwrap()
}

#[test]
fn the_id_key_refuses_a_duplicate_before_during_and_after_the_load_that_builds_it_again() {
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    assert_eq!(votes_and_id_index(&ws), (0, 1));
    // a user's own index on the table is kept through the load that sets the indexes aside
    ws.exercise()
        .args([
            "query",
            "--write",
            "CREATE INDEX by_post ON blog_analysis.votes (PostId)",
        ])
        .assert()
        .success();
    ws.write(
        "in/a.jsonl",
        &format!("{}\n{}\n", line("1", "2022-01-03"), line("2", "2022-01-03")),
    );
    let load = ws.ingest_data(&["in/a.jsonl"]).success();
    assert_eq!(votes_and_id_index(&ws), (2, 1));
    assert_eq!(
        ws.count("SELECT count(*) FROM duckdb_indexes() WHERE index_name = 'by_post' AND expressions = '[PostId]'"),
        1,
        "{load}"
    );
    // a later load goes through the index
    ws.write(
        "in/b.jsonl",
        &format!("{}\n{}\n", line("2", "2022-01-04"), line("3", "2022-01-04")),
    );
    let load = ws.ingest_data(&["in/b.jsonl"]).success();
    assert_eq!(load.rows(), (2, 1, 1, 0), "{load}");
    assert_eq!(votes_and_id_index(&ws), (3, 1));
    let refused = write_vote_by_hand(&ws, 3);
    assert!(!refused.status.success());
    let err = stderr(&refused);
    assert!(err.contains("Duplicate key \"Id: 3\""), "{err}");
    assert_eq!(votes_and_id_index(&ws), (3, 1));
    let status = stdout(&ws.exercise().arg("status").output().unwrap());
    assert!(
        status.contains("enforced by a unique index of the table"),
        "{status}"
    );
}

#[test]
fn a_first_load_that_fails_or_is_refused_leaves_the_empty_table_with_its_key() {
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    // refused by a data test (a vote type the data dump does not have): rolled back
    ws.write(
        "in/odd.jsonl",
        r#"{"Id":"1","PostId":"3","VoteTypeId":"99","CreationDate":"2022-01-03"}"#,
    );
    ws.exercise()
        .args(["ingest-data", "in/odd.jsonl"])
        .assert()
        .failure();
    assert_eq!(votes_and_id_index(&ws), (0, 1));
    // failed: a file that is not JSON lines
    ws.write("in/not.jsonl", "not json\n");
    ws.exercise()
        .args(["ingest-data", "in/not.jsonl"])
        .assert()
        .failure();
    assert_eq!(votes_and_id_index(&ws), (0, 1));
    let first = write_vote_by_hand(&ws, 5);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(!write_vote_by_hand(&ws, 5).status.success());
    assert_eq!(votes_and_id_index(&ws), (1, 1));
}

#[test]
fn a_warehouse_with_the_old_primary_key_keeps_its_votes_under_the_same_unique_id() {
    let ws = Workspace::new();
    ws.exercise().arg("migrate").assert().success();
    {
        // the table as sql/migrations/V002 made it, with rows, and V011 and later not yet applied
        let conn = duckdb::Connection::open(ws.db()).unwrap();
        conn.execute_batch(
            "DROP TABLE blog_analysis.votes;
             CREATE TABLE blog_analysis.votes (Id BIGINT NOT NULL PRIMARY KEY, PostId BIGINT NOT NULL,
                 VoteTypeId SMALLINT NOT NULL, CreationDate TIMESTAMP NOT NULL, UserId BIGINT,
                 BountyAmount INTEGER, source_file_id BIGINT NOT NULL);
             INSERT INTO blog_analysis.votes VALUES (7, 1, 2, TIMESTAMP '2022-01-01', 5, NULL, 0),
                                                    (8, 1, 9, TIMESTAMP '2022-01-02', NULL, 50, 0);
             DROP TABLE meta.indexes_set_aside;
             ALTER TABLE market.prices DROP COLUMN line_number;
             DELETE FROM meta.schema_migrations WHERE version >= 11;",
        )
        .unwrap();
    }
    ws.exercise().arg("migrate").assert().success();
    assert_eq!(votes_and_id_index(&ws), (2, 1), "the key of the rows kept");
    assert_eq!(
        ws.csv("SELECT * FROM blog_analysis.votes ORDER BY Id"),
        "Id,PostId,VoteTypeId,CreationDate,UserId,BountyAmount,source_file_id,line_number\n\
         7,1,2,2022-01-01T00:00:00,5,,0,\n\
         8,1,9,2022-01-02T00:00:00,,50,0,\n"
    );
    assert_eq!(
        ws.count(
            "SELECT count(*) FROM duckdb_constraints() WHERE schema_name = 'blog_analysis'
             AND table_name = 'votes' AND constraint_type = 'PRIMARY KEY'"
        ),
        0
    );
    ws.write(
        "in/a.jsonl",
        &format!("{}\n{}\n", line("8", "2022-01-03"), line("9", "2022-01-03")),
    );
    let load = ws.ingest_data(&["in/a.jsonl"]).success();
    assert_eq!(load.rows(), (2, 1, 1, 0), "{load}");
    assert_eq!(votes_and_id_index(&ws), (3, 1));
}

/// A first load puts the lines the reader judges whole straight into the table, each Id claimed in its
/// file's order; the other lines, and the later lines of an Id, are typed by SQL and weighed against
/// those rows. Whatever typed it, the first line of an Id (file, then line) is kept, and both paths land,
/// reject and count the same: over files of several blocks read side by side, with repeats within a
/// block, across blocks and across files, and lines only SQL types coming first. Then a second load into
/// the filled table (which reads nothing straight).
#[test]
fn a_first_load_keeps_the_first_line_of_each_id_whichever_path_typed_it() {
    let vote = |id: u64, post: u64, extra: &str| {
        format!(
            r#"{{"Id":"{id}","PostId":"{post}","VoteTypeId":"2","CreationDate":"2022-01-02T00:00:00"{extra}}}"#
        )
    };
    let mut a = Vec::new();
    for i in 1..=40_000u64 {
        a.push(match i {
            // only SQL types these (an unknown field; spaces), and they come before a plain line of their Id
            10 => vote(60_000, 3, r#","Note":"x""#),
            11 => format!(" {}", vote(60_001, 3, "")),
            30_000 => vote(60_000, 4, ""),
            30_001 => vote(60_001, 4, ""),
            // repeats: of the line before (same block) and of one 3 blocks back
            i if i % 97 == 0 => vote(i - 1, 2, ""),
            i if i % 89 == 0 => vote(i - 36_000.min(i - 1), 2, ""),
            i => vote(i, 1, ""),
        });
    }
    a.push("{not json".into());
    // b repeats a's last 5,000 Ids and a's SQL-typed 60,000, and has 10,000 of its own
    let b: Vec<String> = (35_001..=50_000u64)
        .map(|i| vote(i, 5, ""))
        .chain([vote(60_000, 5, ""), vote(50_000, 6, "")])
        .collect();
    let queries = [
        "SELECT * FROM blog_analysis.votes ORDER BY ALL",
        "SELECT * EXCLUDE (rejected_at, source_file) FROM blog_analysis.votes_rejected ORDER BY ALL",
        "SELECT file_load_id, rows_read, rows_inserted, rows_duplicate, rows_rejected FROM meta.file_loads ORDER BY ALL",
    ];
    let load = |typed: &str| {
        let ws = Workspace::new();
        ws.write("a.jsonl", &a.join("\n"));
        ws.write("b.jsonl", &b.join("\n"));
        let first = ws.ingest_typed(
            typed,
            &["a.jsonl", "b.jsonl", "--max-rejects", "1"],
            &queries,
        );
        ws.write(
            "c.jsonl",
            &[
                vote(7, 9, ""),
                vote(70_000, 9, ""),
                vote(70_000, 8, ""),
                vote(3, 9, r#","Note":"y""#),
            ]
            .join("\n"),
        );
        let second = ws.ingest_typed(typed, &["c.jsonl"], &queries);
        let checks = [
            "SELECT count(*) - count(DISTINCT Id) FROM blog_analysis.votes",
            "SELECT PostId, source_file_id, line_number FROM blog_analysis.votes WHERE Id IN (60000, 60001, 35001, 50000, 70000, 7) ORDER BY Id",
        ]
        .map(|sql| ws.csv(sql));
        (first.1, second.1, checks)
    };
    let on = load("on");
    assert_eq!(on, load("off"));
    let (first, _, checks) = &on;
    assert_eq!(checks[0], "(count_star() - count(DISTINCT Id))\n0\n");
    // 7: a's line 7 (c's repeat is a duplicate); 35001: a's; 50000: b's first; 60000, 60001: a's SQL-typed
    // lines; 70000: c's first
    assert_eq!(
        checks[1],
        "PostId,source_file_id,line_number\n1,1,7\n1,1,35001\n5,2,15000\n3,1,10\n3,1,11\n9,3,2\n"
    );
    assert!(first[2].contains("1,40001,"), "{}", first[2]);
    let inserted_a: i64 = first[2]
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert!(inserted_a > 38_000 && inserted_a < 40_000, "{}", first[2]);
}
