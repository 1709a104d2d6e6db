//! Data tests (`exercise check`, and the tests inside every load) through the real binary on temp
//! warehouses: each generic kind passes on good data and fails on data built to break it; severities and
//! thresholds decide the exit code; a load whose data fails a test is rolled back; the JSON and JUnit
//! reports; `status`; malformed test folders. The tests declared here live in a folder of the workspace
//! (`check --tests checks`) and test tables of the schema qa, made by DuckDB directly.
mod common;
use common::{stderr, stdout, Workspace};
use serde_json::Value;
use std::collections::BTreeMap;

/// The relations the tests below declare tests on (no shipped test names the schema qa).
const TABLES: &str = "
    CREATE SCHEMA qa;
    CREATE TABLE qa.parents (id INTEGER);
    INSERT INTO qa.parents VALUES (1), (2);
    CREATE TABLE qa.items (id INTEGER, kind VARCHAR, amount DOUBLE, parent INTEGER, seen_at TIMESTAMP);
    CREATE VIEW qa.active AS SELECT * FROM qa.items WHERE kind = 'active';
";

/// A migrated warehouse with the qa tables, `data` run on it.
fn warehouse(data: &str) -> Workspace {
    let ws = Workspace::new();
    let out = ws.run(&["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    sql(&ws, TABLES);
    sql(&ws, data);
    ws
}

/// Runs statements on the warehouse by DuckDB directly; the connection is closed on return, before the
/// binary opens the file again.
fn sql(ws: &Workspace, statements: &str) {
    let conn = duckdb::Connection::open(ws.db()).expect("open the warehouse");
    conn.execute_batch(statements)
        .unwrap_or_else(|e| panic!("{e}\n{statements}"));
}

/// Writes `checks/qa/<relation>.toml`: the votes dataset's, with these `[[tests]]` tables.
fn declare(ws: &Workspace, relation: &str, tests: &str) {
    ws.write(
        &format!("checks/qa/{relation}.toml"),
        &format!("dataset = \"votes\"\n\n{tests}\n"),
    );
}

/// What a `check --format json` said: its exit code, and each test's result by test id.
struct Checked {
    code: Option<i32>,
    results: BTreeMap<String, Value>,
    lines: usize,
    stdout: String,
    stderr: String,
}

impl Checked {
    fn of(&self, id: &str) -> &Value {
        self.results
            .get(id)
            .unwrap_or_else(|| panic!("no result for {id}: {self}"))
    }

    /// (status, failing rows) of one test.
    fn outcome(&self, id: &str) -> (&str, Option<u64>) {
        let r = self.of(id);
        (
            r["status"].as_str().expect("a status"),
            r["failing_rows"].as_u64(),
        )
    }
}

impl std::fmt::Display for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `exercise check --format json ARGS...`, every line of its output parsed.
fn check(ws: &Workspace, args: &[&str]) -> Checked {
    let out = ws.run(&[&["check", "--format", "json"], args].concat());
    let text = stdout(&out);
    let mut results = BTreeMap::new();
    for line in text.lines() {
        let value: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(value.is_object(), "{line}");
        let id = value["test"].as_str().expect("a test id").to_string();
        assert!(results.insert(id, value).is_none(), "a test twice: {text}");
    }
    Checked {
        code: out.status.code(),
        lines: text.lines().count(),
        results,
        stdout: text,
        stderr: stderr(&out),
    }
}

/// Only the tests of the workspace's folder `checks/` (of the schema qa).
fn check_qa(ws: &Workspace) -> Checked {
    check(ws, &["--tests", "checks", "--select", "qa.*"])
}

/// One test declared on qa.`relation` runs on a warehouse where `good` made data that passes it (exit 0),
/// then on one where `bad` made data that breaks it: status fail with `failing` rows, exit 1. Returns the
/// failing result.
fn passes_then_fails_on(
    relation: &str,
    test: &str,
    id: &str,
    good: &str,
    bad: &str,
    failing: u64,
) -> Value {
    let ws = warehouse(good);
    declare(&ws, relation, test);
    let run = check_qa(&ws);
    assert_eq!(run.results.len(), 1, "{run}");
    assert_eq!(run.outcome(id), ("pass", Some(0)), "{run}");
    assert_eq!(run.code, Some(0), "{run}");

    let ws = warehouse(bad);
    declare(&ws, relation, test);
    let run = check_qa(&ws);
    assert_eq!(run.outcome(id), ("fail", Some(failing)), "{run}");
    assert_eq!(run.code, Some(1), "{run}");
    let result = run.of(id).clone();
    assert_eq!(result["severity"], "error", "{run}");
    assert!(
        result["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{failing} failing row(s), at most 0 allowed")),
        "{run}"
    );
    result
}

fn passes_then_fails(test: &str, id: &str, good: &str, bad: &str, failing: u64) -> Value {
    passes_then_fails_on("items", test, id, good, bad, failing)
}

#[test]
fn every_shipped_test_passes_on_an_empty_warehouse() {
    let ws = Workspace::new();
    assert!(ws.run(&["migrate"]).status.success());
    let out = ws.run(&["check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    let summary = text.lines().last().unwrap();
    let n: usize = summary.split(' ').next().unwrap().parse().unwrap();
    assert!(n >= 20, "{text}");
    // The one warning: the reviewer's "outlier_weeks has rows", which an empty warehouse has not.
    assert_eq!(
        summary,
        format!(
            "{n} tests: {} passed, 1 warned, 0 failed, 0 could not run",
            n - 1
        ),
        "{text}"
    );
    let run = check(&ws, &[]);
    assert_eq!((run.code, run.lines), (Some(0), n), "{run}");
    for (id, r) in &run.results {
        let expected = if id == "blog_analysis.outlier_weeks.reviewer_has_rows" {
            "warn"
        } else {
            "pass"
        };
        assert_eq!(r["status"], expected, "{id}: {run}");
    }
    let votes = check(&ws, &["--dataset", "votes"]);
    assert!(!votes.results.is_empty(), "{votes}");
    assert!(
        votes.results.values().all(|r| r["dataset"] == "votes"),
        "{votes}"
    );
}

#[test]
fn unique_fails_once_per_duplicated_key() {
    let failed = passes_then_fails(
        "[[tests]]\nunique = [\"id\"]",
        "qa.items.unique_id",
        "INSERT INTO qa.items (id) VALUES (1), (2), (3)",
        "INSERT INTO qa.items (id) VALUES (1), (2), (2), (3), (3), (3)",
        2,
    );
    assert_eq!(failed["kind"], "unique");
    let samples = failed["samples"].to_string();
    assert!(
        samples.contains("'occurrences': 2") && samples.contains("'occurrences': 3"),
        "{samples}"
    );
}

#[test]
fn unique_on_several_columns_judges_the_whole_key() {
    // Keys that share a column are not repeats, nor are rows with a NULL in the key (dbt's rule); the
    // key is found by its hash first, then grouped by its own columns.
    let failed = passes_then_fails(
        "[[tests]]\nunique = [\"id\", \"kind\"]",
        "qa.items.unique_id_kind",
        "INSERT INTO qa.items (id, kind) VALUES (1, 'a'), (1, 'b'), (2, 'a'), (NULL, 'a'), (NULL, 'a'), (3, NULL), (3, NULL)",
        "INSERT INTO qa.items (id, kind) VALUES (1, 'a'), (1, 'b'), (1, 'a'), (2, 'a'), (2, 'b'), (2, 'b'), (2, 'b'), (NULL, 'x'), (NULL, 'x')",
        2,
    );
    let samples = failed["samples"].to_string();
    assert!(
        samples.contains("'kind': a, 'occurrences': 2")
            && samples.contains("'kind': b, 'occurrences': 3"),
        "{samples}"
    );
}

#[test]
fn not_null_fails_on_a_null_in_any_of_its_columns() {
    passes_then_fails(
        "[[tests]]\nnot_null = [\"id\", \"kind\"]",
        "qa.items.not_null_id_kind",
        "INSERT INTO qa.items (id, kind) VALUES (1, 'a'), (2, 'b')",
        "INSERT INTO qa.items (id, kind) VALUES (1, 'a'), (NULL, 'b'), (3, NULL)",
        2,
    );
}

#[test]
fn accepted_values_fails_on_a_value_outside_the_set_and_ignores_null() {
    let failed = passes_then_fails(
        "[[tests]]\naccepted_values = { column = \"kind\", values = [\"a\", \"b\", \"it's\"] }",
        "qa.items.accepted_values_kind",
        "INSERT INTO qa.items (id, kind) VALUES (1, 'a'), (2, 'b'), (3, NULL), (4, 'it''s')",
        "INSERT INTO qa.items (id, kind) VALUES (1, 'a'), (2, 'c'), (3, 'B'), (4, NULL)",
        2,
    );
    let samples = failed["samples"].to_string();
    assert!(
        samples.contains("'kind': c,") && samples.contains("'kind': B,"),
        "{samples}"
    );
}

#[test]
fn relationships_fails_on_an_orphan_and_ignores_null() {
    passes_then_fails(
        "[[tests]]\nrelationships = { column = \"parent\", to = \"qa.parents\", field = \"id\" }",
        "qa.items.relationships_parent_to_qa_parents",
        "INSERT INTO qa.items (id, parent) VALUES (1, 1), (2, 2), (3, NULL)",
        "INSERT INTO qa.items (id, parent) VALUES (1, 1), (2, 9), (3, NULL)",
        1,
    );
}

#[test]
fn accepted_range_fails_below_min_and_above_max_not_on_the_bounds() {
    passes_then_fails(
        "[[tests]]\naccepted_range = { column = \"amount\", min = \"0\", max = \"100\" }",
        "qa.items.accepted_range_amount",
        "INSERT INTO qa.items (id, amount) VALUES (1, 0), (2, 50), (3, 100), (4, NULL)",
        "INSERT INTO qa.items (id, amount) VALUES (1, -0.5), (2, 0), (3, 100), (4, 100.5)",
        2,
    );
    // a bound is SQL: one side only, an expression
    passes_then_fails(
        "[[tests]]\naccepted_range = { column = \"seen_at\", max = \"now()::TIMESTAMP\" }",
        "qa.items.accepted_range_seen_at",
        "INSERT INTO qa.items (id, seen_at) VALUES (1, TIMESTAMP '2020-01-01')",
        "INSERT INTO qa.items (id, seen_at) VALUES (1, now()::TIMESTAMP + INTERVAL 1 DAY)",
        1,
    );
}

#[test]
fn row_count_fails_below_min_and_above_max() {
    let test = "[[tests]]\nrow_count = { min = 2, max = 3 }";
    passes_then_fails(
        test,
        "qa.items.row_count",
        "INSERT INTO qa.items (id) VALUES (1), (2)",
        "INSERT INTO qa.items (id) VALUES (1)",
        1,
    );
    let failed = passes_then_fails(
        test,
        "qa.items.row_count",
        "INSERT INTO qa.items (id) VALUES (1), (2), (3)",
        "INSERT INTO qa.items (id) VALUES (1), (2), (3), (4)",
        1,
    );
    assert_eq!(failed["observed"], 4);
    assert_eq!(failed["samples"][0], "4 rows, more than 3");
}

#[test]
fn row_count_min_ratio_of_previous_compares_with_the_count_the_last_run_kept() {
    let ws = warehouse("INSERT INTO qa.items (id) SELECT range FROM range(10)");
    declare(
        &ws,
        "items",
        "[[tests]]\nrow_count = { min_ratio_of_previous = 0.5 }",
    );
    let id = "qa.items.row_count";
    // no previous run: nothing to compare with
    let run = check_qa(&ws);
    assert_eq!(
        (run.outcome(id), run.code),
        (("pass", Some(0)), Some(0)),
        "{run}"
    );
    assert_eq!(run.of(id)["observed"], 10);
    assert_eq!(
        ws.count("SELECT observed FROM meta.test_results WHERE test = 'qa.items.row_count'"),
        10
    );

    sql(&ws, "DELETE FROM qa.items WHERE id >= 4");
    let run = check_qa(&ws);
    assert_eq!(
        (run.outcome(id), run.code),
        (("fail", Some(1)), Some(1)),
        "{run}"
    );
    assert_eq!(
        run.of(id)["samples"][0],
        "4 rows, below 0.5 of the 10 rows seen last time"
    );

    // A load that was rolled back observed a count the warehouse never held: not the one to compare with.
    sql(
        &ws,
        "INSERT INTO meta.test_results VALUES ('qa.items.row_count', 'qa.items', 'votes', 'row_count',
         'error', 'pass', 0, 100, '', 7, true, now()::TIMESTAMP + INTERVAL 1 SECOND, 0)",
    );
    let run = check_qa(&ws);
    assert_eq!(
        (run.outcome(id), run.code),
        (("pass", Some(0)), Some(0)),
        "{run}"
    );
}

#[test]
fn freshness_fails_when_the_newest_timestamp_is_older_than_max_age() {
    passes_then_fails(
        "[[tests]]\nfreshness = { column = \"seen_at\", max_age = \"1 day\" }",
        "qa.items.freshness_seen_at",
        "INSERT INTO qa.items (id, seen_at) VALUES
           (1, TIMESTAMP '2020-01-01'), (2, now()::TIMESTAMP - INTERVAL 1 HOUR)",
        "INSERT INTO qa.items (id, seen_at) VALUES
           (1, TIMESTAMP '2020-01-01'), (2, now()::TIMESTAMP - INTERVAL 2 DAY)",
        1,
    );
    // against another "now", old data is fresh
    let ws = warehouse("INSERT INTO qa.items (id, seen_at) VALUES (1, TIMESTAMP '2020-01-01')");
    declare(
        &ws,
        "items",
        "[[tests]]\nfreshness = { column = \"seen_at\", max_age = \"1 day\", reference = \"TIMESTAMP '2020-01-01 12:00'\" }",
    );
    let run = check_qa(&ws);
    assert_eq!(
        run.outcome("qa.items.freshness_seen_at"),
        ("pass", Some(0)),
        "{run}"
    );
}

#[test]
fn expression_is_true_fails_on_each_row_where_it_is_false() {
    passes_then_fails(
        "[[tests]]\nname = \"refunds_are_negative\"\nexpression_is_true = \"(kind = 'refund') = (amount < 0)\"",
        "qa.items.refunds_are_negative",
        "INSERT INTO qa.items (id, kind, amount) VALUES (1, 'sale', 10), (2, 'refund', -5)",
        "INSERT INTO qa.items (id, kind, amount) VALUES (1, 'sale', -10), (2, 'refund', 5), (3, 'sale', 3)",
        2,
    );
}

#[test]
fn a_singular_test_fails_on_the_rows_its_query_returns() {
    let failed = passes_then_fails_on(
        "active",
        "[[tests]]\nname = \"not_empty\"\nsql = \"\"\"\nSELECT 'qa.active is empty' AS problem\nWHERE NOT EXISTS (SELECT 1 FROM qa.active);\n\"\"\"",
        "qa.active.not_empty",
        "INSERT INTO qa.items (id, kind) VALUES (1, 'active'), (2, 'closed')",
        "INSERT INTO qa.items (id, kind) VALUES (2, 'closed')",
        1,
    );
    assert_eq!(failed["kind"], "sql");
    assert_eq!(failed["relation"], "qa.active");
    assert_eq!(failed["samples"][0], "{'problem': qa.active is empty}");
}

#[test]
fn a_failing_warning_exits_0_with_status_warn() {
    let ws = warehouse(
        "INSERT INTO qa.items (id, kind) VALUES (1, 'a'), (2, 'c'), (3, 'd'), (4, 'e'), (5, 'f')",
    );
    declare(
        &ws,
        "items",
        "[[tests]]\naccepted_values = { column = \"kind\", values = [\"a\"] }\nseverity = \"warn\"\n\n\
         [[tests]]\nunique = [\"id\"]",
    );
    let run = check_qa(&ws);
    assert_eq!(
        run.outcome("qa.items.accepted_values_kind"),
        ("warn", Some(4)),
        "{run}"
    );
    assert_eq!(
        run.outcome("qa.items.unique_id"),
        ("pass", Some(0)),
        "{run}"
    );
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(
        run.stderr.trim(),
        "2 tests: 1 passed, 1 warned, 0 failed, 0 could not run"
    );
    // at most three failing rows are shown
    let samples = &run.of("qa.items.accepted_values_kind")["samples"];
    assert_eq!(samples.as_array().unwrap().len(), 3, "{run}");
    // the table for people says it too, with those rows under it
    let out = ws.run(&["check", "--tests", "checks", "--select", "qa.*"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.lines().any(
            |l| l.starts_with("WARN  qa.items.accepted_values_kind") && l.contains("4 failing")
        ),
        "{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("        {'id': "))
            .count(),
        3,
        "{text}"
    );
}

#[test]
fn the_rows_quoted_are_the_first_three_in_their_own_order() {
    // 40 kinds, inserted from the last: a GROUP BY hands its groups back in no useful order, so a report
    // that took the first rows to come would quote other rows than these
    let values: Vec<String> = (0..40).rev().map(|i| format!("({i}, 'k{i:02}')")).collect();
    let ws = warehouse(&format!(
        "INSERT INTO qa.items (id, kind) VALUES {}",
        values.join(", ")
    ));
    declare(
        &ws,
        "items",
        "[[tests]]\nname = \"kinds\"\nseverity = \"warn\"\n\
         sql = \"SELECT kind, count(*) AS n FROM qa.items GROUP BY kind\"",
    );
    let run = check_qa(&ws);
    assert_eq!(run.outcome("qa.items.kinds"), ("warn", Some(40)), "{run}");
    assert_eq!(
        run.of("qa.items.kinds")["samples"],
        serde_json::json!([
            "{'kind': k00, 'n': 1}",
            "{'kind': k01, 'n': 1}",
            "{'kind': k02, 'n': 1}"
        ]),
        "{run}"
    );
}

#[test]
fn max_failing_allows_that_many_rows_and_no_more() {
    let test = "[[tests]]\nnot_null = [\"kind\"]\nmax_failing = 2";
    let two = "INSERT INTO qa.items (id, kind) VALUES (1, 'a'), (2, NULL), (3, NULL)";
    let ws = warehouse(two);
    declare(&ws, "items", test);
    let run = check_qa(&ws);
    assert_eq!(
        (run.outcome("qa.items.not_null_kind"), run.code),
        (("pass", Some(2)), Some(0)),
        "{run}"
    );

    let ws = warehouse(&format!("{two}; INSERT INTO qa.items (id) VALUES (4)"));
    declare(&ws, "items", test);
    let run = check_qa(&ws);
    assert_eq!(
        (run.outcome("qa.items.not_null_kind"), run.code),
        (("fail", Some(3)), Some(1)),
        "{run}"
    );
    assert!(
        run.of("qa.items.not_null_kind")["message"]
            .as_str()
            .unwrap()
            .starts_with("3 failing row(s), at most 2 allowed"),
        "{run}"
    );
}

#[test]
fn max_failing_percent_allows_that_share_of_the_relations_rows() {
    // 20% of 10 rows: 2 may fail
    let test = "[[tests]]\nnot_null = [\"kind\"]\nmax_failing_percent = 20";
    for (nulls, status, code) in [(2, "pass", 0), (3, "fail", 1)] {
        let ws = warehouse(&format!(
            "INSERT INTO qa.items (id, kind)
             SELECT range, CASE WHEN range < {nulls} THEN NULL ELSE 'a' END FROM range(10)"
        ));
        declare(&ws, "items", test);
        let run = check_qa(&ws);
        assert_eq!(
            (run.outcome("qa.items.not_null_kind"), run.code),
            ((status, Some(nulls)), Some(code)),
            "{run}"
        );
    }
}

#[test]
fn a_test_whose_sql_cannot_run_is_an_error_of_its_severity() {
    let ws = warehouse("INSERT INTO qa.items (id) VALUES (1)");
    declare(
        &ws,
        "items",
        "[[tests]]\nname = \"positive\"\nexpression_is_true = \"no_such_column > 0\"",
    );
    let run = check_qa(&ws);
    assert_eq!(
        (run.outcome("qa.items.positive"), run.code),
        (("error", None), Some(1)),
        "{run}"
    );
    let message = run.of("qa.items.positive")["message"].as_str().unwrap();
    assert!(
        message.starts_with("the test could not run") && message.contains("no_such_column"),
        "{message}"
    );
    assert_eq!(
        run.stderr.trim(),
        "1 tests: 0 passed, 0 warned, 0 failed, 1 could not run"
    );
    // a warning that cannot run is reported, and does not fail the run
    declare(
        &ws,
        "items",
        "[[tests]]\nname = \"positive\"\nexpression_is_true = \"no_such_column > 0\"\nseverity = \"warn\"",
    );
    let run = check_qa(&ws);
    assert_eq!(
        (run.outcome("qa.items.positive"), run.code),
        (("error", None), Some(0)),
        "{run}"
    );
}

/// What a load must leave unchanged when it is rolled back: the votes, their rejects and the loaded files.
fn votes_state(ws: &Workspace) -> String {
    [
        ws.csv("SELECT count(*) AS n, bit_xor(hash(v)) AS checksum FROM blog_analysis.votes v"),
        ws.csv("SELECT * FROM blog_analysis.votes ORDER BY Id"),
        ws.csv("SELECT count(*) AS rejected FROM blog_analysis.votes_rejected"),
        ws.csv(
            "SELECT file_load_id, path, status, rows_inserted FROM meta.file_loads
             WHERE status <> 'failed' ORDER BY file_load_id",
        ),
    ]
    .concat()
}

#[test]
fn a_failing_test_rolls_the_load_back_and_no_check_loads_anyway() {
    let ws = Workspace::new();
    ws.copy_resource("votes/example.jsonl", "in/example.jsonl");
    let load = ws.ingest("votes", &["in/example.jsonl"]).success();
    assert_eq!(load.inserted, 16, "{load}");
    let before = votes_state(&ws);
    let results_before = ws.count("SELECT count(*) FROM meta.test_results");

    // VoteTypeId 13 is not among the data dump's documented types (the shipped accepted_values test)
    ws.write(
        "in/bad.jsonl",
        "{\"Id\":\"9001\",\"PostId\":\"7\",\"VoteTypeId\":\"2\",\"CreationDate\":\"2022-02-01T00:00:00.000\"}\n\
         {\"Id\":\"9002\",\"PostId\":\"7\",\"VoteTypeId\":\"13\",\"CreationDate\":\"2022-02-01T00:00:00.000\"}\n\
         {\"Id\":\"9003\",\"PostId\":\"8\",\"VoteTypeId\":\"5\",\"CreationDate\":\"2022-02-02T00:00:00.000\"}\n",
    );
    let test = "blog_analysis.votes.accepted_values_VoteTypeId";
    let load = ws.ingest("votes", &["in/bad.jsonl"]);
    assert_eq!(load.code, Some(1), "{load}");
    assert_eq!((load.loaded, load.failed), (0, 1), "{load}");
    assert!(
        load.stderr.contains(test) && load.stderr.contains("rolled back"),
        "{load}"
    );
    assert!(
        load.stdout
            .lines()
            .any(|l| l.starts_with(&format!("FAIL  {test}")) && l.contains("1 failing")),
        "{load}"
    );
    assert!(load.stdout.contains("'VoteTypeId': 13"), "{load}");
    assert!(load.stdout.contains("data tests: "), "{load}");
    assert_eq!(votes_state(&ws), before, "the warehouse changed: {load}");

    // the file is recorded as failed, naming the test; the results say the load was rolled back
    assert_eq!(
        ws.csv("SELECT status, message FROM meta.file_loads WHERE path LIKE '%bad.jsonl'"),
        format!("status,message\nfailed,data test(s) failed: {test}\n")
    );
    let run_id = ws.count("SELECT run_id FROM meta.file_loads WHERE path LIKE '%bad.jsonl'");
    let guarded = ws.count(&format!(
        "SELECT count(*) FROM meta.test_results WHERE load_run_id = {run_id} AND rolled_back"
    ));
    assert!(guarded > 0);
    assert_eq!(
        ws.count("SELECT count(*) FROM meta.test_results") - results_before,
        guarded,
        "every result of the refused load says it was rolled back"
    );
    assert_eq!(
        ws.csv(&format!(
            "SELECT status, failing_rows, rolled_back FROM meta.test_results
             WHERE test = '{test}' AND load_run_id = {run_id}"
        )),
        "status,failing_rows,rolled_back\nfail,1,true\n"
    );

    // a failed file is tried again, and refused again
    let again = ws.ingest("votes", &["in/bad.jsonl"]);
    assert_eq!(again.code, Some(1), "{again}");
    assert_eq!(votes_state(&ws), before, "{again}");

    // --no-check loads it, without running (or recording) the tests
    let results = ws.count("SELECT count(*) FROM meta.test_results");
    let load = ws
        .ingest("votes", &["in/bad.jsonl", "--no-check"])
        .success();
    assert_eq!(load.rows(), (3, 3, 0, 0), "{load}");
    assert!(!load.stdout.contains("data tests:"), "{load}");
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 16 + 3);
    assert_eq!(
        ws.count("SELECT count(*) FROM blog_analysis.votes WHERE VoteTypeId = 13"),
        1
    );
    assert_eq!(ws.count("SELECT count(*) FROM meta.test_results"), results);
    // and `check` now says what is wrong with the warehouse
    let run = check(&ws, &["--dataset", "votes"]);
    assert_eq!(
        (run.outcome(test), run.code),
        (("fail", Some(1)), Some(1)),
        "{run}"
    );
}

/// A vote line of this Id and VoteTypeId (13 is outside the shipped accepted_values test).
fn vote(id: u32, vote_type: u32) -> String {
    format!(
        "{{\"Id\":\"{id}\",\"PostId\":\"7\",\"VoteTypeId\":\"{vote_type}\",\"CreationDate\":\"2022-02-01T00:00:00.000\"}}\n"
    )
}

#[test]
fn a_load_judges_the_rows_no_earlier_load_judged_and_check_judges_them_all() {
    let ws = Workspace::new();
    let test = "blog_analysis.votes.accepted_values_VoteTypeId";
    let judged = "the rows no earlier load judged";
    let last_result = |ws: &Workspace| {
        ws.csv(&format!(
            "SELECT status, failing_rows, message FROM meta.test_results WHERE test = '{test}'
             ORDER BY checked_at DESC LIMIT 1"
        ))
    };
    ws.write("in/good1.jsonl", &vote(9000, 2));
    ws.ingest("votes", &["in/good1.jsonl"]).success();
    // a bad row among the rows that load judged (as if edited in by hand since)
    let first = ws.count("SELECT source_file_id FROM blog_analysis.votes WHERE Id = 9000");
    sql(
        &ws,
        &format!("INSERT INTO blog_analysis.votes VALUES (9001, 7, 13, TIMESTAMP '2022-02-01', NULL, NULL, {first}, 2)"),
    );
    // the next load judges its own rows: it passes
    ws.write("in/good2.jsonl", &[vote(9003, 2), vote(9004, 5)].concat());
    let load = ws.ingest("votes", &["in/good2.jsonl"]).success();
    assert_eq!(load.inserted, 2, "{load}");
    assert_eq!(
        last_result(&ws),
        format!("status,failing_rows,message\npass,0,{judged}\n")
    );
    // `check` judges the whole table
    let run = check(&ws, &["--dataset", "votes"]);
    assert_eq!(run.outcome(test), ("fail", Some(1)), "{run}");
    // a load without its tests: the next load judges its rows too, and is refused for the bad one
    ws.write(
        "in/unchecked.jsonl",
        &[vote(9005, 2), vote(9006, 13)].concat(),
    );
    ws.ingest("votes", &["in/unchecked.jsonl", "--no-check"])
        .success();
    ws.write("in/good3.jsonl", &vote(9007, 2));
    let refused = ws.ingest("votes", &["in/good3.jsonl"]);
    assert_eq!(refused.code, Some(1), "{refused}");
    assert!(
        refused
            .stdout
            .lines()
            .any(|l| l.starts_with(&format!("FAIL  {test}"))
                && l.contains("1 failing")
                && l.contains(judged)),
        "{refused}"
    );
    assert!(refused.stdout.contains("'Id': 9006"), "{refused}");
    assert_eq!(ws.count("SELECT count(*) FROM blog_analysis.votes"), 6);
}

#[test]
fn the_shipped_sample_loads_with_its_tests_passing() {
    let ws = Workspace::new();
    let data = ws.copy_resource("votes/sample.jsonl", "in/sample.jsonl");
    let load = ws.ingest("votes", &[data.to_str().unwrap()]).success();
    assert_eq!(load.rows(), (6, 5, 1, 0), "{load}");
    let summary = load
        .stdout
        .lines()
        .find(|l| l.starts_with("data tests: "))
        .unwrap_or_else(|| panic!("no data tests line: {load}"));
    assert!(
        summary.ends_with(" 0 failed, 0 could not run"),
        "{summary}\n{load}"
    );
    let run_id = ws.count("SELECT max(run_id) FROM meta.file_loads");
    assert_eq!(
        ws.count(&format!(
            "SELECT count(*) FROM meta.test_results
             WHERE dataset = 'votes' AND load_run_id = {run_id} AND NOT rolled_back
               AND status IN ('pass', 'warn')"
        )),
        ws.count("SELECT count(*) FROM meta.test_results"),
    );
    assert!(ws.count("SELECT count(*) FROM meta.test_results") > 0);
}

/// A warehouse and a tests folder whose run has a test of every status: pass, warn (failing rows with
/// markup and a control character in them), fail and error.
fn every_status() -> Workspace {
    let ws = warehouse(
        "INSERT INTO qa.items (id, kind) VALUES
           (1, 'a'), (2, '<b>&\"x\"'''), (3, 'c' || chr(1)), (4, NULL)",
    );
    declare(
        &ws,
        "items",
        "[[tests]]\nunique = [\"id\"]\n\n\
         [[tests]]\naccepted_values = { column = \"kind\", values = [\"a\"] }\nseverity = \"warn\"\n\n\
         [[tests]]\nnot_null = [\"kind\"]\n\n\
         [[tests]]\nname = \"broken\"\nexpression_is_true = \"no_such_column\"",
    );
    ws
}

/// The JUnit file parsed by a real XML parser (python3's minidom): the root's counts, and each testcase
/// as [classname, name, its child elements, their text].
fn parse_junit(path: &std::path::Path) -> Value {
    const SCRIPT: &str = r#"
import json, sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
root = doc.documentElement
def text(node):
    return "".join(c.data for c in node.childNodes if c.nodeType == c.TEXT_NODE)
cases = []
for case in doc.getElementsByTagName("testcase"):
    children = [c for c in case.childNodes if c.nodeType == c.ELEMENT_NODE]
    cases.append([case.getAttribute("classname"), case.getAttribute("name"),
                  ",".join(c.tagName for c in children),
                  "".join(text(c) + c.getAttribute("message") for c in children)])
print(json.dumps({"root": root.tagName, "tests": root.getAttribute("tests"),
                  "failures": root.getAttribute("failures"), "errors": root.getAttribute("errors"),
                  "suites": len(doc.getElementsByTagName("testsuite")), "cases": cases}))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "not well-formed XML: {}\n{}",
        stderr(&out),
        std::fs::read_to_string(path).unwrap_or_default()
    );
    serde_json::from_slice(&out.stdout).expect("the script's JSON")
}

#[test]
fn junit_has_one_testcase_per_test_failures_as_failure_warnings_not() {
    let ws = every_status();
    let run = check(&ws, &["--tests", "checks"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert_eq!(run.lines, run.results.len());
    let shipped = run
        .results
        .keys()
        .filter(|id| !id.starts_with("qa."))
        .count();
    assert_eq!(run.results.len(), shipped + 4, "{run}");
    // what each test's testcase holds, by its status
    let mut expected: Vec<(String, String, String)> = run
        .results
        .iter()
        .map(|(id, r)| {
            let relation = r["relation"].as_str().unwrap().to_string();
            let name = id[relation.len() + 1..].to_string();
            let child = match r["status"].as_str().unwrap() {
                "pass" => "",
                "warn" => "system-out",
                "fail" => "failure",
                "error" => "error",
                other => panic!("status {other}"),
            };
            (relation, name, child.to_string())
        })
        .collect();
    expected.sort();

    // the table for people has one line per test too
    let table = ws.run(&["check", "--tests", "checks"]);
    let table_lines = stdout(&table)
        .lines()
        .filter(|l| {
            ["PASS ", "WARN ", "FAIL ", "ERROR "]
                .iter()
                .any(|s| l.starts_with(s))
        })
        .count();
    assert_eq!(table_lines, run.results.len(), "{}", stdout(&table));

    let to_file = ws.run(&[
        "check",
        "--tests",
        "checks",
        "--format",
        "junit",
        "--output",
        "report.xml",
    ]);
    assert_eq!(to_file.status.code(), Some(1));
    assert_eq!(stdout(&to_file), "", "the report goes to the file");
    // (the second warning: the shipped reviewer_has_rows, on this warehouse without votes)
    assert!(
        stderr(&to_file).contains("2 warned, 1 failed, 1 could not run"),
        "{}",
        stderr(&to_file)
    );
    let on_stdout = ws.run(&["check", "--tests", "checks", "--format", "junit"]);
    assert_eq!(on_stdout.status.code(), Some(1));
    let piped = ws.write("stdout.xml", &stdout(&on_stdout));

    for path in [ws.path("report.xml"), piped] {
        let junit = parse_junit(&path);
        assert_eq!(junit["root"], "testsuites");
        assert_eq!(junit["tests"], run.results.len().to_string());
        assert_eq!(
            (junit["failures"].as_str(), junit["errors"].as_str()),
            (Some("1"), Some("1"))
        );
        let cases = junit["cases"].as_array().unwrap();
        let mut got: Vec<(String, String, String)> = cases
            .iter()
            .map(|c| {
                (
                    c[0].as_str().unwrap().to_string(),
                    c[1].as_str().unwrap().to_string(),
                    c[2].as_str().unwrap().to_string(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(got, expected);
        // one testsuite per relation
        let relations: std::collections::BTreeSet<&str> = run
            .results
            .values()
            .map(|r| r["relation"].as_str().unwrap())
            .collect();
        assert_eq!(junit["suites"], relations.len());
        // failing rows survive the trip through XML: markup as text, the control character replaced
        let warned = cases
            .iter()
            .find(|c| c[1] == "accepted_values_kind")
            .unwrap();
        let text = warned[3].as_str().unwrap();
        assert!(
            text.starts_with("warning: 2 failing row(s)") && text.contains("<b>&\"x\""),
            "{text}"
        );
        assert!(text.contains("c?"), "{text}");
        let failed = cases.iter().find(|c| c[1] == "not_null_kind").unwrap();
        assert!(
            failed[3].as_str().unwrap().contains("1 failing row(s)"),
            "{failed}"
        );
    }
}

#[test]
fn json_gives_one_object_per_test_with_its_result() {
    let ws = every_status();
    let run = check_qa(&ws);
    assert_eq!(run.code, Some(1), "{run}");
    assert_eq!((run.lines, run.results.len()), (4, 4), "{run}");
    let r = run.of("qa.items.not_null_kind");
    assert_eq!(
        (
            r["relation"].as_str(),
            r["dataset"].as_str(),
            r["kind"].as_str(),
            r["severity"].as_str()
        ),
        (
            Some("qa.items"),
            Some("votes"),
            Some("not_null"),
            Some("error")
        )
    );
    assert_eq!(r["samples"].as_array().unwrap().len(), 1);
    assert!(r["seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(run.outcome("qa.items.unique_id"), ("pass", Some(0)));
    assert_eq!(
        run.outcome("qa.items.accepted_values_kind"),
        ("warn", Some(2))
    );
    assert_eq!(run.outcome("qa.items.broken"), ("error", None));
    let samples = run.of("qa.items.accepted_values_kind")["samples"].to_string();
    assert!(samples.contains("c\\u0001"), "{samples}");
}

/// The rows of `status`'s "data tests" section.
fn status_section(ws: &Workspace) -> Vec<String> {
    let out = ws.run(&["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let section: Vec<String> = text
        .lines()
        .skip_while(|l| *l != "== data tests")
        .skip(3) // the title, the header, the rule
        .take_while(|l| !l.starts_with('(') && !l.is_empty())
        .map(str::to_string)
        .collect();
    assert!(text.contains("== data tests\ntest "), "{text}");
    section
}

/// (status, failing rows) of a test in `status`.
fn status_of(section: &[String], id: &str) -> (String, String) {
    let line = section
        .iter()
        .find(|l| l.split_whitespace().next() == Some(id))
        .unwrap_or_else(|| panic!("no line for {id}: {section:#?}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    (words[1].to_string(), words[2].to_string())
}

#[test]
fn status_shows_each_tests_last_result() {
    let ws = warehouse("INSERT INTO qa.items (id, kind) VALUES (1, 'a'), (2, NULL)");
    declare(
        &ws,
        "items",
        "[[tests]]\nunique = [\"id\"]\n\n[[tests]]\nnot_null = [\"kind\"]",
    );
    let run = check(&ws, &["--tests", "checks"]);
    assert_eq!(run.code, Some(1), "{run}");
    let section = status_section(&ws);
    assert_eq!(section.len(), run.results.len(), "{section:#?}");
    for (id, r) in &run.results {
        assert_eq!(
            status_of(&section, id).0,
            r["status"].as_str().unwrap(),
            "{id}"
        );
    }
    assert_eq!(
        status_of(&section, "qa.items.not_null_kind"),
        ("fail".into(), "1".into())
    );
    // failures first
    assert!(
        section[0].starts_with("qa.items.not_null_kind "),
        "{section:#?}"
    );

    sql(&ws, "UPDATE qa.items SET kind = 'b' WHERE kind IS NULL");
    assert_eq!(check_qa(&ws).code, Some(0));
    let section = status_section(&ws);
    assert_eq!(section.len(), run.results.len(), "{section:#?}");
    assert_eq!(
        status_of(&section, "qa.items.not_null_kind"),
        ("pass".into(), "0".into())
    );
    assert_eq!(
        status_of(&section, "qa.items.unique_id"),
        ("pass".into(), "0".into())
    );
}

/// `check --tests checks` on a folder made of `files`: exit 1, nothing run or recorded, and one error,
/// naming `file`, that says `why`.
fn refused(files: &[(&str, &str)], file: &str, why: &str) {
    let ws = Workspace::new();
    assert!(ws.run(&["migrate"]).status.success());
    std::fs::create_dir_all(ws.path("checks")).unwrap();
    for (path, text) in files {
        ws.write(&format!("checks/{path}"), text);
    }
    let out = ws.run(&["check", "--tests", "checks"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(stdout(&out), "");
    assert!(
        err.starts_with(&format!("error: checks/{file}")),
        "not naming checks/{file}: {err}"
    );
    assert!(err.contains(why), "not saying {why:?}: {err}");
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert_eq!(ws.count("SELECT count(*) FROM meta.test_results"), 0);
}

const UNIQUE: &str = "dataset = \"votes\"\n[[tests]]\nunique = [\"id\"]\n";

#[test]
fn a_malformed_tests_folder_is_one_error_naming_the_file() {
    refused(
        &[
            ("qa/good.toml", UNIQUE),
            (
                "qa/items.toml",
                "dataset = \"votes\"\n[[tests]]\nunique = [\"id\"]\nnot_null = [\"id\"]\n",
            ),
        ],
        "qa/items.toml: test 1",
        "more than one test kind in one test: unique, not_null",
    );
    refused(
        &[(
            "qa/items.toml",
            "dataset = \"votes\"\n[[tests]]\nuniqe = [\"id\"]\n",
        )],
        "qa/items.toml",
        "unknown field `uniqe`",
    );
    refused(
        &[(
            "qa/items.toml",
            "dataset = \"votes\"\ncolour = \"red\"\n[[tests]]\nunique = [\"id\"]\n",
        )],
        "qa/items.toml",
        "unknown field `colour`",
    );
    refused(
        &[(
            "qa/items.toml",
            "dataset = \"votes\"\n[[tests]]\nunique = [\"id\"]\nseverity = \"fatal\"\n",
        )],
        "qa/items.toml",
        "unknown variant `fatal`",
    );
    refused(
        &[("items.toml", UNIQUE)],
        "items.toml",
        "a test file is <tests folder>/<schema>/<relation>.toml",
    );
    refused(
        &[("qa/more/items.toml", UNIQUE)],
        "qa/more/items.toml",
        "a test file is <tests folder>/<schema>/<relation>.toml",
    );
    refused(
        &[(
            "qa/items.toml",
            "dataset = \"vote\"\n[[tests]]\nunique = [\"id\"]\n",
        )],
        "qa/items.toml",
        "no dataset vote (one of: votes, ",
    );
    refused(
        &[(
            "qa/items.toml",
            "dataset = \"votes\"\n[[tests]]\nexpression_is_true = \"id > 0\"\n",
        )],
        "qa/items.toml: test 1",
        "a expression_is_true test needs a name",
    );
    refused(
        &[(
            "qa/items.toml",
            "dataset = \"votes\"\n[[tests]]\nunique = [\"id\"]\n[[tests]]\nname = \"unique_id\"\nnot_null = [\"id\"]\n",
        )],
        "qa/items.toml",
        "two tests named qa.items.unique_id",
    );
    // a test of the same id as a shipped one would mix its results with the shipped one's
    refused(
        &[(
            "blog_analysis/votes.toml",
            "dataset = \"votes\"\n[[tests]]\nunique = [\"Id\"]\n",
        )],
        "blog_analysis/votes.toml",
        "already named blog_analysis.votes.unique_Id",
    );
}

#[test]
fn a_tests_folder_without_test_files_is_an_error() {
    let ws = Workspace::new();
    ws.write("checks/README.md", "no tests here");
    let out = ws.run(&["check", "--tests", "checks"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "error: no <schema>/<relation>.toml test files in checks"
    );
}

#[test]
fn a_selection_matching_no_test_is_an_error() {
    let ws = Workspace::new();
    let out = ws.run(&["check", "--select", "no_such_test"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no data test matches"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_test_ending_in_a_comment_runs() {
    let ws = warehouse("INSERT INTO qa.items (id) VALUES (1)");
    declare(
        &ws,
        "items",
        "[[tests]]\nname = \"no_negative_ids\"\nsql = \"SELECT * FROM qa.items WHERE id < 0 -- ids count from 0\"\n\
         [[tests]]\nname = \"positive\"\nexpression_is_true = \"id >= 0 -- or the key is broken\"",
    );
    let run = check_qa(&ws);
    assert_eq!(
        run.outcome("qa.items.no_negative_ids"),
        ("pass", Some(0)),
        "{run}"
    );
    assert_eq!(run.outcome("qa.items.positive"), ("pass", Some(0)), "{run}");
}

/// A migrated warehouse of the shipped schema with `rows` written by DuckDB directly, and what
/// `exercise check` (every shipped test) says of it.
fn shipped_check_on(rows: &str) -> Checked {
    let ws = Workspace::new();
    assert!(ws.run(&["migrate"]).status.success());
    sql(&ws, rows);
    check(&ws, &[])
}

/// Asserts (status, failing rows) for each test id.
fn assert_outcomes(run: &Checked, expected: &[(&str, &str, u64)]) {
    for (id, status, failing) in expected {
        assert_eq!(run.outcome(id), (*status, Some(*failing)), "{id}: {run}");
    }
}

/// Each shipped test of the data (not of a view's definition) fails, or warns, on rows written to break
/// it, with the number of failing rows those rows make; a test whose rule the table itself enforces
/// (NOT NULL) is shown refusing the row instead. (The tests of a view's definition, `on_load = false`
/// on STEDI's zones and the reviewer's view, cannot be broken by rows.)
#[test]
fn every_shipped_data_test_fails_on_rows_built_to_break_it() {
    // Votes: a type outside the dump's, a date before the site, a bounty on an up-vote.
    let run = shipped_check_on(
        "INSERT INTO blog_analysis.votes VALUES
            (1, 1, 13, TIMESTAMP '2020-01-01', NULL, NULL, 1, 1),
            (2, 1, 2, TIMESTAMP '2001-01-01', NULL, NULL, 1, 2),
            (3, 1, 2, TIMESTAMP '2020-01-02', NULL, 50, 1, 3);",
    );
    assert_outcomes(
        &run,
        &[
            ("blog_analysis.votes.accepted_values_VoteTypeId", "fail", 1),
            ("blog_analysis.votes.creation_date_in_range", "fail", 1),
            ("blog_analysis.votes.bounty_only_on_bounty_votes", "warn", 1),
        ],
    );
    assert_eq!(run.code, Some(1), "{run}");
    // One vote: one week, the mean, so no outlier week although votes exist.
    let run = shipped_check_on(
        "INSERT INTO blog_analysis.votes VALUES (1, 1, 2, TIMESTAMP '2020-01-01', NULL, NULL, 1, 1);",
    );
    assert_outcomes(
        &run,
        &[(
            "blog_analysis.outlier_weeks.not_empty_when_votes_exist",
            "warn",
            1,
        )],
    );

    // Sensor logs: serial-1 expires 90 days on and moves department; 00:02-00:04 missing.
    let run = shipped_check_on(
        "INSERT INTO dwh.data_sample VALUES
            ('a', 'serial-1', TIMESTAMP '2023-01-01 00:00:00', 'p', TIMESTAMP '2023-04-01 00:00:00', 1),
            ('b', 'serial-1', TIMESTAMP '2023-01-01 00:01:00', 'p', TIMESTAMP '2023-03-30 00:00:00', 1),
            ('a', 'serial-2', TIMESTAMP '2023-01-01 00:05:00', 'p', TIMESTAMP '2023-03-30 00:00:00', 1);",
    );
    assert_outcomes(
        &run,
        &[
            (
                "dwh.data_sample.product_expire_87_to_89_days_after_create_at",
                "fail",
                1,
            ),
            (
                "dwh.data_sample.department_of_a_sensor_never_changes",
                "fail",
                1,
            ),
            ("dwh.data_sample.no_missing_minute", "warn", 1),
        ],
    );
    // A loaded sensor-log file, and no rows.
    let run = shipped_check_on(
        "INSERT INTO meta.file_loads (file_load_id, run_id, dataset, path, size_bytes, content_hash,
                                     status, started_at, finished_at)
         VALUES (1, 1, 'sensor-logs', 'm.parquet', 10, 'h', 'loaded', now()::TIMESTAMP, now()::TIMESTAMP);",
    );
    assert_outcomes(
        &run,
        &[("dwh.data_sample.not_empty_once_a_file_is_loaded", "fail", 1)],
    );
    let ws = Workspace::new();
    assert!(ws.run(&["migrate"]).status.success());
    let conn = duckdb::Connection::open(ws.db()).unwrap();
    let refused = conn.execute_batch(
        "INSERT INTO dwh.data_sample VALUES (NULL, 's', TIMESTAMP '2023-01-01', 'p', TIMESTAMP '2023-03-30', 1)",
    );
    assert!(
        refused.is_err_and(|e| e.to_string().contains("NOT NULL")),
        "all_columns_not_null is the table's own rule"
    );
    drop(conn);

    // Stocks: one symbol and day twice, High below Low, a negative volume, no symbol directory, and a
    // feature row of its own whose first row already has its averages.
    let run = shipped_check_on(
        "INSERT INTO market.prices VALUES
            ('AAA', NULL, DATE '2020-01-02', 1, 1, 2, 1.5, 1.5, 100, false, 1, 2),
            ('AAA', NULL, DATE '2020-01-02', 1, 2, 0.5, 1.5, 1.5, -5, false, 1, 3);
         INSERT INTO market.features VALUES
            ('BBB', NULL, DATE '2020-01-02', 1, 2, 0.5, 1.5, 1.5, 100, false, 100.0, 1.5);",
    );
    assert_outcomes(
        &run,
        &[
            ("market.prices.unique_Symbol_Date", "fail", 1),
            ("market.prices.high_at_least_low", "fail", 1),
            ("market.prices.volume_not_negative", "fail", 1),
            (
                "market.prices.relationships_Symbol_to_market_symbols",
                "warn",
                2,
            ),
            ("market.features.one_row_per_price", "fail", 1),
            (
                "market.features.features_null_exactly_for_first_29_rows",
                "fail",
                1,
            ),
        ],
    );

    // Telemetry (grid 10 ms): run 7 has all four sensors but no force on its two grid points, which are
    // 15 ms apart, one at 6 m/s; run 8 is listed twice, derived on a 20 ms grid.
    let run = shipped_check_on(
        "INSERT INTO telemetry.run_sensors
         SELECT 7, robot, sensor, 1, 1, 0, TIMESTAMP '2022-11-23 20:40:00', TIMESTAMP '2022-11-23 20:40:00',
                0, 1, 0
         FROM (VALUES (1), (2)) r(robot), (VALUES ('encoder'), ('load_cell')) s(sensor);
         INSERT INTO telemetry.run_grid (run_uuid, time, x_1, x_2, y_1, y_2, z_1, z_2, vx_1, vy_1, vz_1)
         VALUES (7, TIMESTAMP '2022-11-23 20:40:00', 0, 0, 0, 0, 0, 0, 6000, 0, 0),
                (7, TIMESTAMP '2022-11-23 20:40:00.015', 0, 0, 0, 0, 0, 0, 0, 0, 0);
         INSERT INTO telemetry.runs VALUES (8, 20, 1, now()::TIMESTAMP), (8, 20, 1, now()::TIMESTAMP);",
    );
    assert_outcomes(
        &run,
        &[
            (
                "telemetry.run_features.no_null_sensor_column_with_all_sensors",
                "fail",
                2,
            ),
            (
                "telemetry.run_features.speeds_within_physical_limits",
                "warn",
                1,
            ),
            (
                "telemetry.run_features.grid_spacing_equals_setting",
                "fail",
                1,
            ),
            ("telemetry.runs.unique_run_uuid", "fail", 1),
            ("telemetry.runs.derived_on_the_current_grid", "fail", 2),
        ],
    );
}
