//! Stack-Exchange-style vote records (JSON lines, optionally gzipped, or Parquet) into blog_analysis.votes.
use crate::ingest::plain_json::StringMembers;
use crate::ingest::{Dedup, Spec, Staging};

/// Every field of a vote arrives as a JSON string: the reader hands over the plain lines' strings
/// (columns `plain`, `s_Id`, ...), and `load.sql` parses only the other lines.
static FIELDS: StringMembers = StringMembers(&[
    "Id",
    "PostId",
    "VoteTypeId",
    "CreationDate",
    "UserId",
    "BountyAmount",
]);

pub static VOTES: Spec = Spec {
    name: "votes",
    about: "Vote records, JSONL/JSON (optionally gzipped) or Parquet, into blog_analysis.votes",
    extensions: &[
        ".jsonl",
        ".json",
        ".ndjson",
        ".jsonl.gz",
        ".json.gz",
        ".ndjson.gz",
        ".parquet",
    ],
    sql_dir: "datasets/votes",
    rejects_table: "blog_analysis.votes_rejected",
    staging: Staging::StreamedLines {
        count_json_keys: true,
        typer: Some(&FIELDS),
    },
    dedup: Dedup::FirstWinsOnKey("Id"),
    reference_file: None,
    after_load: None,
};
