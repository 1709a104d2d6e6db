//! STEDI customer/, accelerometer/ and step_trainer/ JSON lines into the landing zone (trusted and curated are views).
use crate::ingest::lines::{FirstOfKey, LineFile, LineTyper, Typed, TypedColumns};
use crate::ingest::plain_json::{double, integer, plain_object, Value, PLAUSIBLE_EPOCH_MS};
use crate::ingest::{Dedup, Spec, Staging, Straight};
use duckdb::arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, Int8Builder, StringBuilder, UInt64Builder,
};
use duckdb::arrow::datatypes::{DataType, Field};
use std::path::Path;
use std::sync::Arc;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

pub static STEDI: Spec = Spec {
    name: "stedi",
    about: "STEDI customer/, accelerometer/ and step_trainer/ JSON, into the landing, trusted and curated zones",
    extensions: &[".json", ".jsonl", ".json.gz", ".jsonl.gz"],
    sql_dir: "datasets/stedi",
    rejects_table: "stedi_landing.rejected",
    staging: Staging::StreamedLines {
        count_json_keys: true,
        typer: Some(&ReadingTyper),
        // the readings the reader judged whole go straight into their landing tables
        straight: &[
            Straight {
                kind: ACCELEROMETER_CODE as u8,
                sql: "accelerometer_judged.sql",
                first_of_key: FirstOfKey::Deleted,
                while_empty: None,
            },
            Straight {
                kind: STEP_TRAINER_CODE as u8,
                sql: "step_trainer_judged.sql",
                first_of_key: FirstOfKey::Deleted,
                while_empty: None,
            },
        ],
    },
    dedup: Dedup::ExactRecord,
    reference_file: None,
    after_load: None,
    indexed: None,
};

/// Types the plainest accelerometer and step-trainer readings (99.99% of the lines, and 99.2% of the
/// input), which go straight into their landing tables (`Straight`: accelerometer_judged.sql and
/// step_trainer_judged.sql); customers (few) and anything less plain go to `load.sql`.
/// A reading is plain when it is a flat object with exactly its source's keys, once each: the accelerometer's
/// `user` (string), `timestamp` (integer) and `x`, `y`, `z` (numbers); the step trainer's
/// `sensorReadingTime` (integer), `serialNumber` (string) and `distanceFromObject` (integer). Columns:
/// `typed_as` (which of the two the line is, [`ACCELEROMETER_CODE`] or [`STEP_TRAINER_CODE`]: a number rather
/// than the name, which would be copied into DuckDB for every line; SQL uses the values only when the
/// file's folder says the same),
/// `t_text` (user or serialNumber), `t_ms` (the epoch milliseconds), `t_x`, `t_y`, `t_z`, `t_int`
/// (distanceFromObject), `t_key` (`record_key`). A value out of SQL's range (a time outside the plausible years, a distance
/// beyond INTEGER) leaves the line to SQL, which rejects it with its reason and text: so no typed line is
/// rejected, and a typed line's text is not sent.
pub struct ReadingTyper;

impl LineTyper for ReadingTyper {
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::new("typed_as", DataType::Int8, true),
            Field::new("t_text", DataType::Utf8, true),
            Field::new("t_ms", DataType::Int64, true),
            Field::new("t_x", DataType::Float64, true),
            Field::new("t_y", DataType::Float64, true),
            Field::new("t_z", DataType::Float64, true),
            Field::new("t_int", DataType::Int64, true),
            Field::new("t_key", DataType::UInt64, true),
        ]
    }

    fn columns(&self) -> Box<dyn TypedColumns> {
        Box::new(Readings::default())
    }

    /// The source the file's folder names, as load.sql's `stedi_files` finds it (the nearest folder
    /// named customer(s), accelerometer or step_trainer, `/` and `\\` both separating folders): the
    /// code of its readings, or 0.
    fn file_kind(&self, path: &Path) -> u8 {
        let text = path.to_string_lossy();
        let folders: Vec<&str> = text.split(['/', '\\']).collect();
        // between two separators: not the first part, not the file name
        let inner = folders
            .get(1..folders.len().saturating_sub(1))
            .unwrap_or(&[]);
        let nearest = inner.iter().rev().find(|f| {
            matches!(
                **f,
                "customer" | "customers" | "accelerometer" | "step_trainer"
            )
        });
        match nearest {
            Some(&"accelerometer") => ACCELEROMETER_CODE as u8,
            Some(&"step_trainer") => STEP_TRAINER_CODE as u8,
            _ => 0,
        }
    }
}

#[derive(Default)]
struct Readings {
    typed: Int8Builder,
    text: StringBuilder,
    ms: Int64Builder,
    x: Float64Builder,
    y: Float64Builder,
    z: Float64Builder,
    int: Int64Builder,
    keys: UInt64Builder,
    /// The key of the line just typed.
    last_key: Option<u64>,
}

/// One line's values as the typer found them.
#[derive(Default)]
struct Reading<'a> {
    /// Bit per key seen (see `key_bit`); a key seen twice, or an unknown one, makes the line not plain.
    seen: u8,
    text: &'a str,
    ms: i64,
    xyz: [f64; 3],
    int: i64,
}

/// `typed_as` of an accelerometer and of a step-trainer reading (load.sql's `stedi_files.typed_code`).
pub const ACCELEROMETER_CODE: i8 = 1;
pub const STEP_TRAINER_CODE: i8 = 2;

const ACCELEROMETER: u8 = 0b0001_1111;
const STEP_TRAINER: u8 = 0b1110_0000;

/// The bit of a known key, and whether its value is of the key's kind (the value is stored).
fn take<'a>(r: &mut Reading<'a>, key: &str, value: Value<'a>) -> bool {
    let (bit, ok) = match (key, value) {
        ("user", Value::Str(s)) => (0, {
            r.text = s;
            true
        }),
        ("timestamp" | "sensorReadingTime", Value::Num(n)) => {
            let bit = if key == "timestamp" { 1 } else { 5 };
            let ms = integer(n).filter(|v| PLAUSIBLE_EPOCH_MS.contains(v));
            (bit, ms.map(|v| r.ms = v).is_some())
        }
        // DuckDB's JSON reader reads the integer `-0` as 0 (the text "0"), losing the sign a double
        // would keep: left to SQL.
        ("x" | "y" | "z", Value::Num(n)) if n != "-0" => {
            let i = usize::from(key.as_bytes()[0] - b'x');
            (2 + i as u8, double(n).map(|v| r.xyz[i] = v).is_some())
        }
        ("serialNumber", Value::Str(s)) => (6, {
            r.text = s;
            true
        }),
        ("distanceFromObject", Value::Num(n)) => {
            let int = integer(n).filter(|v| i32::try_from(*v).is_ok());
            (7, int.map(|v| r.int = v).is_some())
        }
        _ => return false,
    };
    let fresh = r.seen & (1 << bit) == 0;
    r.seen |= 1 << bit;
    ok && fresh
}

/// A 64-bit hash of a typed reading's record (`t_key`, `TypedColumns::key`): equal records, as SQL
/// compares them, hash alike (an axis of -0.0 as 0.0, which SQL's `=` takes for equal); two records
/// that collide are only compared in full by SQL.
fn record_key(kind: i8, r: &Reading) -> u64 {
    let axis = |v: f64| if v == 0.0 { 0 } else { v.to_bits() };
    let mut numbers = [0u8; 41];
    numbers[0] = kind as u8;
    for (i, n) in [
        r.ms as u64,
        axis(r.xyz[0]),
        axis(r.xyz[1]),
        axis(r.xyz[2]),
        r.int as u64,
    ]
    .into_iter()
    .enumerate()
    {
        numbers[1 + 8 * i..9 + 8 * i].copy_from_slice(&n.to_le_bytes());
    }
    xxh3_64_with_seed(r.text.as_bytes(), xxh3_64(&numbers))
}

impl TypedColumns for Readings {
    fn push(&mut self, line: &str, file: LineFile) -> Typed {
        let mut r = Reading::default();
        let plain = plain_object(line, |key, value| take(&mut r, key, value));
        let kind = match r.seen {
            ACCELEROMETER if plain => ACCELEROMETER_CODE,
            STEP_TRAINER if plain => STEP_TRAINER_CODE,
            _ => {
                self.skip();
                return Typed::No;
            }
        };
        self.typed.append_value(kind);
        self.text.append_value(r.text);
        self.ms.append_value(r.ms);
        let accelerometer = r.seen == ACCELEROMETER;
        for (builder, v) in [&mut self.x, &mut self.y, &mut self.z]
            .into_iter()
            .zip(r.xyz)
        {
            builder.append_option(accelerometer.then_some(v));
        }
        self.int.append_option((!accelerometer).then_some(r.int));
        let key = record_key(kind, &r);
        self.keys.append_value(key);
        self.last_key = Some(key);
        // A reading of its folder's source is SQL's to take as it is, so the reader judged every range SQL
        // would; in another folder SQL parses and rejects it, with its text.
        if kind as u8 == file.kind {
            Typed::Judged
        } else {
            Typed::WithText
        }
    }

    fn skip(&mut self) {
        self.typed.append_null();
        self.text.append_null();
        self.ms.append_null();
        self.x.append_null();
        self.y.append_null();
        self.z.append_null();
        self.int.append_null();
        self.keys.append_null();
        self.last_key = None;
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.typed.finish()),
            Arc::new(self.text.finish()),
            Arc::new(self.ms.finish()),
            Arc::new(self.x.finish()),
            Arc::new(self.y.finish()),
            Arc::new(self.z.finish()),
            Arc::new(self.int.finish()),
            Arc::new(self.keys.finish()),
        ]
    }

    fn key(&self) -> Option<u64> {
        self.last_key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::arrow::array::{Array, Float64Array, Int64Array, Int8Array, StringArray};

    fn typed(lines: &[&str]) -> Vec<Option<i8>> {
        let mut columns = ReadingTyper.columns();
        for line in lines {
            columns.push(line, LineFile::default());
        }
        let out = columns.finish();
        let kinds = out[0].as_any().downcast_ref::<Int8Array>().unwrap();
        (0..kinds.len())
            .map(|i| kinds.is_valid(i).then(|| kinds.value(i)))
            .collect()
    }

    #[test]
    fn plain_readings_are_typed_with_their_values() {
        let mut columns = ReadingTyper.columns();
        let accelerometer =
            r#"{"user":"a@b.c","timestamp":1655564376361,"x":-0.727,"y":0,"z":12.5}"#;
        let step =
            r#"{"sensorReadingTime":1655564376461,"serialNumber":"s1","distanceFromObject":257}"#;
        let folder = |p: &str| LineFile {
            id: 1,
            kind: ReadingTyper.file_kind(Path::new(p)),
        };
        let (a, s) = (
            folder("/d/accelerometer/a.json"),
            folder("/d/step_trainer/s.json"),
        );
        // in its own folder a reading is judged whole (its text is not sent); elsewhere it is not
        assert_eq!(columns.push(accelerometer, a), Typed::Judged);
        assert_eq!(columns.push(step, s), Typed::Judged);
        assert_eq!(columns.push(step, a), Typed::WithText);
        assert_eq!(
            columns.push(accelerometer, folder("/d/customer/c.json")),
            Typed::WithText
        );
        let out = columns.finish();
        let kind = out[0].as_any().downcast_ref::<Int8Array>().unwrap();
        assert_eq!(
            (kind.value(0), kind.value(1)),
            (ACCELEROMETER_CODE, STEP_TRAINER_CODE)
        );
        let text = out[1].as_any().downcast_ref::<StringArray>().unwrap();
        let ms = out[2].as_any().downcast_ref::<Int64Array>().unwrap();
        let x = out[3].as_any().downcast_ref::<Float64Array>().unwrap();
        let z = out[5].as_any().downcast_ref::<Float64Array>().unwrap();
        let int = out[6].as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(
            (text.value(0), ms.value(0), x.value(0), z.value(0)),
            ("a@b.c", 1655564376361, -0.727, 12.5)
        );
        assert!(int.is_null(0));
        assert_eq!(
            (text.value(1), ms.value(1), int.value(1)),
            ("s1", 1655564376461, 257)
        );
        assert!(x.is_null(1));
    }

    #[test]
    fn a_files_source_is_its_nearest_folder_named_after_one() {
        let kind = |p: &str| ReadingTyper.file_kind(Path::new(p));
        assert_eq!(
            kind("/p/step_trainer/x/accelerometer/a.json"),
            ACCELEROMETER_CODE as u8
        );
        assert_eq!(kind("/p/accelerometer/customers/a.json"), 0);
        assert_eq!(
            kind("/p/accelerometer\\step_trainer\\a.json"),
            STEP_TRAINER_CODE as u8
        );
        assert_eq!(kind("/p/accelerometer"), 0); // a file so named, in no such folder
        assert_eq!(kind("accelerometer/a.json"), 0); // as SQL: no separator before it
        assert_eq!(kind("/p/my accelerometer/a.json"), 0);
    }

    #[test]
    fn the_bounds_of_sql_ranges_are_typed() {
        let lines = [
            r#"{"user":"a","timestamp":7258118399999,"x":1,"y":2,"z":3}"#,
            r#"{"user":"a","timestamp":-2208988800000,"x":1,"y":2,"z":3}"#,
            r#"{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":2147483647}"#,
            r#"{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":-2147483648}"#,
        ];
        assert_eq!(
            typed(&lines),
            [
                ACCELEROMETER_CODE,
                ACCELEROMETER_CODE,
                STEP_TRAINER_CODE,
                STEP_TRAINER_CODE
            ]
            .map(Some)
        );
    }

    #[test]
    fn anything_else_is_left_to_sql() {
        let lines = [
            r#"{"user":"a","timestamp":1,"x":1,"y":2}"#, // a key missing
            r#"{"user":"a","timestamp":1,"x":1,"y":2,"z":3,"w":4}"#, // a key too many
            r#"{"user":"a","timestamp":1,"x":1,"y":2,"z":3,"z":3}"#, // a key twice
            r#"{"user":"a","timestamp":"1","x":1,"y":2,"z":3}"#, // a string for a number
            r#"{"user":1,"timestamp":1,"x":1,"y":2,"z":3}"#, // a number for a string
            r#"{"user":"a","timestamp":1.0,"x":1,"y":2,"z":3}"#, // a fraction for an integer
            r#"{"user":"a","timestamp":1,"x":null,"y":2,"z":3}"#, // null
            r#"{"user":"a","timestamp":1,"x":1e2,"y":2,"z":3}"#, // an exponent
            r#"{"user":"a\u0040","timestamp":1,"x":1,"y":2,"z":3}"#, // an escape
            r#"{"user":"a","timestamp":1,"x":0.12345678901234567891,"y":2,"z":3}"#, // 20 digits
            r#"{"user":"a","timestamp":1,"x":-0,"y":2,"z":3}"#, // -0: SQL reads 0
            r#"{"user":"a","timestamp":7258118400000,"x":1,"y":2,"z":3}"#, // the year 2200
            r#"{"user":"a","timestamp":-2208988800001,"x":1,"y":2,"z":3}"#, // 1899
            r#"{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":2147483648}"#,
            r#"{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":2.5}"#,
            r#"{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":1,"x":1}"#,
            r#"{"user":"a","timestamp":1,"x":1,"y":2,"z":3"#,
            r#"{"customerName":"c","email":"e"}"#,
        ];
        assert_eq!(typed(&lines), vec![None; lines.len()]);
    }
}
