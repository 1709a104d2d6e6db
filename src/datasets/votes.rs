//! Stack-Exchange-style vote records (JSON lines, optionally gzipped, or Parquet) into blog_analysis.votes.
use crate::ingest::lines::{FirstOfKey, LineFile, LineTyper, Typed, TypedColumns};
use crate::ingest::plain_json::{
    compact_object, integer, plain_object, timestamp, Value, PLAUSIBLE_EPOCH_MS,
};
use crate::ingest::{Dedup, Spec, Staging, Straight};
use duckdb::arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, TimestampMicrosecondBuilder};
use duckdb::arrow::datatypes::{DataType, Field, TimeUnit};
use std::sync::Arc;

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
        typer: Some(&VoteTyper),
        // a first load puts the votes the reader judged whole straight into blog_analysis.votes
        straight: &[Straight {
            kind: 0,
            sql: "votes_judged.sql",
            // repeated Ids are common (1% of the benchmark's lines), and deleting any costs a rewrite
            first_of_key: FirstOfKey::Claimed,
            while_empty: Some("blog_analysis.votes"),
            typer: None,
        }],
    },
    dedup: Dedup::FirstWinsOnKey("Id"),
    reference_file: None,
    after_load: None,
    indexed: Some("blog_analysis.votes"),
    name_is_data: false,
    rejects_are_lines: true,
};

/// The fields of a vote, in the order of the typed columns; the first four are required.
const FIELDS: [&str; 6] = [
    "Id",
    "PostId",
    "VoteTypeId",
    "CreationDate",
    "UserId",
    "BountyAmount",
];

/// Types the plainest vote lines: a flat object of known keys, once each, whose values are JSON strings
/// holding an integer (optional '-', digits without a needless leading zero, at most 18) or, for
/// CreationDate, a timestamp `YYYY-MM-DDTHH:MM:SS[.ffffff]` without a zone (`plain_json::timestamp`);
/// UserId and BountyAmount may be absent or null. `load.sql` takes their values as they are and still
/// judges the ranges (SMALLINT, INTEGER, the plausible years); every other line is parsed there. A line
/// within those ranges is `Typed::Judged` (its text is not sent); one outside is rejected by SQL, with
/// its text.
/// Columns: `plain` (BOOLEAN), `t_Id`, `t_PostId`, `t_VoteTypeId`, `t_UserId`, `t_BountyAmount` (BIGINT)
/// and `t_CreationDate` (TIMESTAMP).
pub struct VoteTyper;

impl LineTyper for VoteTyper {
    fn fields(&self) -> Vec<Field> {
        let mut fields = vec![Field::new("plain", DataType::Boolean, true)];
        for name in FIELDS {
            let kind = match name {
                "CreationDate" => DataType::Timestamp(TimeUnit::Microsecond, None),
                _ => DataType::Int64,
            };
            fields.push(Field::new(format!("t_{name}"), kind, true));
        }
        fields
    }

    fn columns(&self) -> Box<dyn TypedColumns> {
        Box::new(Votes {
            plain: BooleanBuilder::new(),
            values: std::array::from_fn(|_| Int64Builder::new()),
            created: TimestampMicrosecondBuilder::new(),
            last_key: None,
        })
    }
}

struct Votes {
    plain: BooleanBuilder,
    /// Id, PostId, VoteTypeId, UserId, BountyAmount (FIELDS without CreationDate)
    values: [Int64Builder; 5],
    created: TimestampMicrosecondBuilder,
    /// The Id of the line just typed (`TypedColumns::key`).
    last_key: Option<u64>,
}

/// An integer as `load.sql`'s text would print it back (so a reason quoting it quotes the text).
fn plain_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.starts_with('0') || text == "0";
    integer(text).filter(|_| canonical)
}

/// A vote's fields as read (`FIELDS` order): Some(None) null (optional fields only), None absent.
type Found = [Option<Option<i64>>; 6];

/// Takes one member of a vote line, when it is a known field, met once, of its type.
fn take(found: &mut Found, key: &str, value: Value) -> bool {
    let Some(i) = FIELDS.iter().position(|f| *f == key) else {
        return false;
    };
    let typed = match value {
        Value::Str(s) if i == 3 => timestamp(s),
        Value::Str(s) => plain_integer(s),
        Value::Literal("null") if i >= 4 => return found[i].replace(None).is_none(),
        _ => None,
    };
    typed.is_some() && found[i].replace(typed).is_none()
}

impl TypedColumns for Votes {
    fn push(&mut self, line: &str, _file: LineFile) -> Typed {
        // Some(None): null (optional fields only); None: absent
        let mut found: Found = [None; 6];
        // most lines are written compactly: those are read without the general reader
        let plain = compact_object(line, |key, value| take(&mut found, key, value)) || {
            found = [None; 6];
            plain_object(line, |key, value| take(&mut found, key, value))
        };
        if !plain || found[..4].iter().any(|f| f.is_none()) {
            self.skip();
            return Typed::No;
        }
        self.plain.append_value(true);
        let values = [found[0], found[1], found[2], found[4], found[5]];
        for (builder, v) in self.values.iter_mut().zip(values) {
            builder.append_option(v.flatten());
        }
        self.created.append_option(found[3].flatten());
        // the key is the Id itself (load.sql compares it with incoming_repeats)
        // (offset by 2^63, so that SQL reads it back as `key - 2^63` whatever the sign)
        self.last_key = found[0].flatten().map(|id| (id as u64) ^ (1 << 63));
        // SQL's ranges: a VoteTypeId is a SMALLINT, a BountyAmount an INTEGER, CreationDate of the
        // plausible years. Within them SQL rejects nothing, so the text need not be sent.
        let micros = PLAUSIBLE_EPOCH_MS.start() * 1000..=PLAUSIBLE_EPOCH_MS.end() * 1000 + 999;
        let in_range = found[2].flatten().is_some_and(|v| i16::try_from(v).is_ok())
            && found[5].flatten().is_none_or(|v| i32::try_from(v).is_ok())
            && found[3].flatten().is_some_and(|t| micros.contains(&t));
        if in_range {
            Typed::Judged
        } else {
            Typed::WithText
        }
    }

    fn skip(&mut self) {
        self.plain.append_null();
        self.values.iter_mut().for_each(|b| b.append_null());
        self.created.append_null();
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let [id, post, kind, user, bounty] = &mut self.values;
        vec![
            Arc::new(self.plain.finish()),
            Arc::new(id.finish()),
            Arc::new(post.finish()),
            Arc::new(kind.finish()),
            Arc::new(self.created.finish()),
            Arc::new(user.finish()),
            Arc::new(bounty.finish()),
        ]
    }

    fn key(&self) -> Option<u64> {
        self.last_key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_votes_are_typed() {
        let mut columns = VoteTyper.columns();
        for line in [
            r#"{"Id":"1","PostId":"2","VoteTypeId":"2","CreationDate":"2008-08-01T00:00:00.000"}"#,
            r#"{"CreationDate":"2008-08-01 10:00:00","VoteTypeId":"-3","PostId":"0","Id":"12","UserId":null,"BountyAmount":"50"}"#,
        ] {
            assert_eq!(
                columns.push(line, LineFile::default()),
                Typed::Judged,
                "{line}"
            );
        }
        // typed, but out of SQL's ranges: SQL rejects them, so their text is sent
        for line in [
            r#"{"Id":"1","PostId":"2","VoteTypeId":"32768","CreationDate":"2008-08-01T00:00:00"}"#,
            r#"{"Id":"1","PostId":"2","VoteTypeId":"2","CreationDate":"2200-01-01T00:00:00"}"#,
            r#"{"Id":"1","PostId":"2","VoteTypeId":"2","CreationDate":"1899-12-31T23:59:59.999999"}"#,
            r#"{"Id":"1","PostId":"2","VoteTypeId":"2","CreationDate":"2008-08-01T00:00:00","BountyAmount":"2147483648"}"#,
        ] {
            assert_eq!(
                columns.push(line, LineFile::default()),
                Typed::WithText,
                "{line}"
            );
        }
        // the bounds themselves are within
        for line in [
            r#"{"Id":"1","PostId":"2","VoteTypeId":"-32768","CreationDate":"2199-12-31T23:59:59.999999"}"#,
            r#"{"Id":"1","PostId":"2","VoteTypeId":"32767","CreationDate":"1900-01-01T00:00:00","BountyAmount":"-2147483648"}"#,
        ] {
            assert_eq!(
                columns.push(line, LineFile::default()),
                Typed::Judged,
                "{line}"
            );
        }
        for line in [
            r#"{"Id":"1","PostId":"2","VoteTypeId":"2"}"#,
            r#"{"Id":"1","PostId":"2","VoteTypeId":"2","CreationDate":"2008-08-01"}"#,
            r#"{"Id":"1","PostId":"2","VoteTypeId":"2","CreationDate":"2008-08-01T00:00:00Z"}"#,
            r#"{"Id":"01","PostId":"2","VoteTypeId":"2","CreationDate":"2008-08-01T00:00:00"}"#,
            r#"{"Id":"+1","PostId":"2","VoteTypeId":"2","CreationDate":"2008-08-01T00:00:00"}"#,
            r#"{"Id":1,"PostId":"2","VoteTypeId":"2","CreationDate":"2008-08-01T00:00:00"}"#,
            r#"{"Id":null,"PostId":"2","VoteTypeId":"2","CreationDate":"2008-08-01T00:00:00"}"#,
            r#"{"Id":"1","PostId":"2","VoteTypeId":"2","CreationDate":"2008-08-01T00:00:00","Comment":"x"}"#,
            r#"{"Id":"1","PostId":"2","VoteTypeId":"2","CreationDate":"2008-08-01T00:00:00","UserId":null,"UserId":"3"}"#,
        ] {
            assert_eq!(columns.push(line, LineFile::default()), Typed::No, "{line}");
        }
        assert_eq!(columns.finish()[0].null_count(), 9);
    }
}
