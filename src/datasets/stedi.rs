//! STEDI customer/, accelerometer/ and step_trainer/ JSON lines into the landing zone (trusted and curated are views).
use crate::ingest::lines::{FirstOfKey, LineFile, LineTyper, Typed, TypedColumns};
use crate::ingest::plain_json::{
    compact_object, date, double, integer, plain_object, Value, PLAUSIBLE_EPOCH_MS,
};
use crate::ingest::{Dedup, Spec, Staging, Straight};
use duckdb::arrow::array::{
    ArrayRef, Date32Builder, Float64Builder, Int64Builder, Int8Builder, StringBuilder,
    UInt64Builder,
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
                typer: None,
            },
            Straight {
                kind: STEP_TRAINER_CODE as u8,
                sql: "step_trainer_judged.sql",
                first_of_key: FirstOfKey::Deleted,
                while_empty: None,
                typer: None,
            },
            // customers with a typer of their own (its columns would be NULL for every reading);
            // claimed: 1% of the benchmark's customer lines repeat a record
            Straight {
                kind: CUSTOMER_CODE as u8,
                sql: "customer_judged.sql",
                first_of_key: FirstOfKey::Claimed,
                while_empty: None,
                typer: Some(&CustomerTyper),
            },
        ],
    },
    dedup: Dedup::ExactRecord,
    reference_file: None,
    after_load: None,
    indexed: None,
    name_is_data: false,
    rejects_are_lines: true,
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
    /// code of its readings, `CUSTOMER_CODE`, or 0.
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
            Some(_) => CUSTOMER_CODE as u8,
            None => 0,
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
/// The `file_kind` of a customer/ or customers/ folder (`stedi_files.typed_code`), whose plainest lines
/// `CustomerTyper` types.
pub const CUSTOMER_CODE: i8 = 3;

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
        // most lines are written compactly: those are read without the general reader
        let plain = compact_object(line, |key, value| take(&mut r, key, value)) || {
            r = Reading::default();
            plain_object(line, |key, value| take(&mut r, key, value))
        };
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

/// The keys of a customer record, in the order of `CustomerTyper`'s columns and of load.sql's `v`.
const CUSTOMER_KEYS: [&str; 10] = [
    "customerName",
    "email",
    "phone",
    "birthDay",
    "serialNumber",
    "registrationDate",
    "lastUpdateDate",
    "shareWithResearchAsOfDate",
    "shareWithPublicAsOfDate",
    "shareWithFriendsAsOfDate",
];

/// Types the plainest customer lines (those of a customer/ folder's files, read straight:
/// customer_judged.sql): a flat object of known keys, once each, whose values are strings (the four
/// texts), a `YYYY-MM-DD` date of the years 1000-9999 (`birthDay`), integers of the plausible years
/// (the five epoch-millisecond times), or null; with an `email` and a `lastUpdateDate`. Within these SQL
/// rejects nothing and takes the same values, so such a line is `Typed::Judged`; any other (a time as
/// a string, a number for a text, an escape) is left to load.sql, which judges it in full. Columns:
/// `c_customerName`, `c_email`, `c_phone`, `c_serialNumber` (text), `c_birthDay` (DATE) and the times
/// `c_registrationDate`, `c_lastUpdateDate`, `c_shareWithResearchAsOfDate`, `c_shareWithPublicAsOfDate`,
/// `c_shareWithFriendsAsOfDate` (epoch milliseconds); the key is a hash of the record.
pub struct CustomerTyper;

impl LineTyper for CustomerTyper {
    fn fields(&self) -> Vec<Field> {
        CUSTOMER_KEYS
            .iter()
            .map(|key| {
                let kind = match *key {
                    "customerName" | "email" | "phone" | "serialNumber" => DataType::Utf8,
                    "birthDay" => DataType::Date32,
                    _ => DataType::Int64,
                };
                Field::new(format!("c_{key}"), kind, true)
            })
            .collect()
    }

    fn columns(&self) -> Box<dyn TypedColumns> {
        Box::new(Customers::default())
    }

    fn file_kind(&self, path: &Path) -> u8 {
        ReadingTyper.file_kind(path)
    }
}

/// One customer line's values as the typer found them, by `CUSTOMER_KEYS` index (None: null or absent).
#[derive(Default)]
struct Customer<'a> {
    /// Bit per key seen: a key seen twice makes the line not plain.
    seen: u16,
    texts: [Option<&'a str>; 4],
    birthday: Option<i32>,
    times: [Option<i64>; 5],
}

/// Index in `Customer::texts` of the text keys.
const TEXT_SLOTS: [(usize, usize); 4] = [(0, 0), (1, 1), (2, 2), (4, 3)];

impl<'a> Customer<'a> {
    fn take(&mut self, key: &str, value: Value<'a>) -> bool {
        let Some(i) = CUSTOMER_KEYS.iter().position(|k| *k == key) else {
            return false;
        };
        if self.seen & (1 << i) != 0 {
            return false;
        }
        self.seen |= 1 << i;
        let null = value == Value::Literal("null");
        match (i, value) {
            _ if null => true,
            (3, Value::Str(s)) if !s.starts_with('0') => {
                self.birthday = date(s);
                self.birthday.is_some()
            }
            (5..=9, Value::Num(n)) => {
                self.times[i - 5] = integer(n).filter(|v| PLAUSIBLE_EPOCH_MS.contains(v));
                self.times[i - 5].is_some()
            }
            (i, Value::Str(s)) => match TEXT_SLOTS.iter().find(|(k, _)| *k == i) {
                Some(&(_, slot)) => {
                    self.texts[slot] = Some(s);
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    /// A 64-bit hash of the record as SQL compares it (every value, NULL or not).
    fn key(&self) -> u64 {
        let mut bytes = Vec::with_capacity(128);
        for text in self.texts {
            match text {
                Some(t) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&(t.len() as u64).to_le_bytes());
                    bytes.extend_from_slice(t.as_bytes());
                }
                None => bytes.push(0),
            }
        }
        let numbers = std::iter::once(self.birthday.map(i64::from)).chain(self.times);
        for n in numbers {
            match n {
                Some(v) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
                None => bytes.push(0),
            }
        }
        xxh3_64(&bytes)
    }
}

#[derive(Default)]
struct Customers {
    /// customerName, email, phone, serialNumber
    texts: [StringBuilder; 4],
    birthday: Date32Builder,
    times: [Int64Builder; 5],
    last_key: Option<u64>,
}

impl TypedColumns for Customers {
    fn push(&mut self, line: &str, file: LineFile) -> Typed {
        let mut c = Customer::default();
        let plain = compact_object(line, |key, value| c.take(key, value)) || {
            c = Customer::default();
            plain_object(line, |key, value| c.take(key, value))
        };
        // SQL rejects a customer without an email or a lastUpdateDate
        if !plain
            || file.kind != CUSTOMER_CODE as u8
            || c.texts[1].is_none()
            || c.times[1].is_none()
        {
            self.skip();
            return Typed::No;
        }
        for (builder, text) in self.texts.iter_mut().zip(c.texts) {
            builder.append_option(text);
        }
        self.birthday.append_option(c.birthday);
        for (builder, time) in self.times.iter_mut().zip(c.times) {
            builder.append_option(time);
        }
        self.last_key = Some(c.key());
        Typed::Judged
    }

    fn skip(&mut self) {
        for builder in &mut self.texts {
            builder.append_null();
        }
        self.birthday.append_null();
        for builder in &mut self.times {
            builder.append_null();
        }
        self.last_key = None;
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let [name, email, phone, serial] = &mut self.texts;
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(name.finish()),
            Arc::new(email.finish()),
            Arc::new(phone.finish()),
            Arc::new(self.birthday.finish()),
            Arc::new(serial.finish()),
        ];
        columns.extend(
            self.times
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        columns
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
    fn plain_customers_are_judged_with_their_values_and_a_key_of_the_record() {
        let folder = LineFile {
            id: 1,
            kind: CUSTOMER_CODE as u8,
        };
        let plain = r#"{"customerName":"Al","email":"a@x.org","phone":null,"birthDay":"1980-02-29","lastUpdateDate":1655564376362,"shareWithResearchAsOfDate":-2208988800000}"#;
        let mut columns = CustomerTyper.columns();
        assert_eq!(columns.push(plain, folder), Typed::Judged);
        let key = columns.key();
        // the same record with its nulls left out, and spaced: the same key
        let same = r#" { "lastUpdateDate" : 1655564376362 , "email":"a@x.org","customerName":"Al","birthDay":"1980-02-29","shareWithResearchAsOfDate":-2208988800000} "#;
        assert_eq!(columns.push(same, folder), Typed::Judged);
        assert_eq!(columns.key(), key);
        let other = plain.replace("\"Al\"", "\"Al \"");
        assert_eq!(columns.push(&other, folder), Typed::Judged);
        assert_ne!(columns.key(), key);
        let out = columns.finish();
        let text = |i: usize| {
            out[i]
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone()
        };
        let times = out[6].as_any().downcast_ref::<Int64Array>().unwrap();
        let research = out[7].as_any().downcast_ref::<Int64Array>().unwrap();
        let birthday = out[3]
            .as_any()
            .downcast_ref::<duckdb::arrow::array::Date32Array>()
            .unwrap();
        assert_eq!((text(0).value(0), text(1).value(0)), ("Al", "a@x.org"));
        assert!(text(2).is_null(0) && text(4).is_null(0) && out[5].is_null(0));
        assert_eq!(birthday.value(0), 3711); // 1980-02-29
        assert_eq!(
            (times.value(0), research.value(0)),
            (1655564376362, -2208988800000)
        );
        // anything else is SQL's, as is a customer line outside a customer/ folder
        let lines = [
            r#"{"customerName":"Al","lastUpdateDate":1}"#, // no email
            r#"{"email":null,"lastUpdateDate":1}"#,
            r#"{"email":"a","lastUpdateDate":null}"#,
            r#"{"email":"a"}"#,
            r#"{"email":"a","lastUpdateDate":"1"}"#, // a string for a time
            r#"{"email":"a","lastUpdateDate":1.0}"#,
            r#"{"email":"a","lastUpdateDate":7258118400000}"#, // 2200
            r#"{"email":"a","lastUpdateDate":1,"birthDay":"1980-02-30"}"#,
            r#"{"email":"a","lastUpdateDate":1,"birthDay":"0999-01-01"}"#,
            r#"{"email":"a","lastUpdateDate":1,"birthDay":19800101}"#,
            r#"{"email":"a","lastUpdateDate":1,"phone":555}"#, // a number for a text
            r#"{"email":"a","lastUpdateDate":1,"phone":true}"#,
            r#"{"email":"a\u0040","lastUpdateDate":1}"#,
            r#"{"email":"a","lastUpdateDate":1,"email":"b"}"#,
            r#"{"email":"a","lastUpdateDate":1,"extra":1}"#,
            r#"{"email":"a","lastUpdateDate":1"#,
        ];
        for line in lines {
            assert_eq!(columns.push(line, folder), Typed::No, "{line}");
        }
        let elsewhere = LineFile { id: 1, kind: 0 };
        assert_eq!(columns.push(plain, elsewhere), Typed::No);
    }

    #[test]
    fn a_files_source_is_its_nearest_folder_named_after_one() {
        let kind = |p: &str| ReadingTyper.file_kind(Path::new(p));
        assert_eq!(
            kind("/p/step_trainer/x/accelerometer/a.json"),
            ACCELEROMETER_CODE as u8
        );
        assert_eq!(
            kind("/p/accelerometer/customers/a.json"),
            CUSTOMER_CODE as u8
        );
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
