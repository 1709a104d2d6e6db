//! What a user reads, kept as snapshots: a load's summary (with a reject and an unknown field), the
//! ledger rows, the rejects and `exercise status`. Times, timestamps and the temp folder are filtered.
mod common;
use common::{stderr, stdout, Workspace};

fn settings(ws: &Workspace) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let dir = ws.dir.path().to_string_lossy().into_owned();
    settings.add_filter(&regex_escape(&dir), "[WS]");
    settings.add_filter(r"in \d+\.\d\d s", "in [SECS] s");
    settings.add_filter(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?", "[TIMESTAMP]");
    settings
}

/// The temp folder's path as a regular expression matching exactly it.
fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn a_load_its_ledger_its_rejects_and_status_read_as_they_did() {
    let ws = Workspace::new();
    ws.copy_resource("votes/example.jsonl", "votes/example.jsonl");
    ws.write(
        "votes/late.jsonl",
        "{\"Id\":\"1\",\"PostId\":\"1\",\"VoteTypeId\":\"2\",\"CreationDate\":\"2022-01-02T00:00:00\"}\n\
         {\"Id\":\"100\",\"PostId\":\"7\",\"VoteTypeId\":\"2\",\"CreationDate\":\"2022-03-01T00:00:00\",\"Source\":\"web\"}\n\
         {\"Id\":\"1800.7\",\"PostId\":\"7\",\"VoteTypeId\":\"2\",\"CreationDate\":\"2022-03-01T00:00:00\"}\n\
         not json\n",
    );
    let load = ws.run(&["ingest-data", "votes", "--max-rejects", "2"]);
    assert!(load.status.success(), "{}", stderr(&load));
    let status = ws.run(&["status"]);
    assert!(status.status.success(), "{}", stderr(&status));
    settings(&ws).bind(|| {
        insta::assert_snapshot!(
            "load_summary",
            format!("stdout:\n{}\nstderr:\n{}", stdout(&load), stderr(&load))
        );
        insta::assert_snapshot!(
            "ledger",
            ws.csv(
                "SELECT regexp_extract(path, '[^/]+$') AS file, status, rows_read, rows_inserted,
                        rows_duplicate, rows_rejected, message
                 FROM meta.file_loads ORDER BY file_load_id"
            )
        );
        insta::assert_snapshot!(
            "rejects",
            ws.csv(
                "SELECT regexp_extract(source_file, '[^/]+$') AS file, line_number, raw, reason
                 FROM blog_analysis.votes_rejected ORDER BY 1, 2"
            )
        );
        insta::assert_snapshot!("status", stdout(&status));
    });
}
