//! ETF and stock price CSVs (etfs/, stocks/, symbols_valid_meta.csv) into market.prices and market.features.
use crate::ingest::lines::{FirstOfKey, LineFile, LineTyper, Typed, TypedColumns};
use crate::ingest::plain_json::{date, double, integer, is_plain_number, PLAUSIBLE_EPOCH_MS};
use crate::ingest::{Dedup, Spec, Staging, Straight};
use duckdb::arrow::array::{ArrayRef, Date32Builder, Float64Builder, Int64Builder};
use duckdb::arrow::datatypes::{DataType, Field};
use std::sync::Arc;

pub static STOCKS: Spec = Spec {
    name: "stocks",
    about: "ETF and stock CSVs (etfs/, stocks/, symbols_valid_meta.csv), into market.prices and market.features",
    extensions: &[".csv"],
    sql_dir: "datasets/stocks",
    rejects_table: "market.prices_rejected",
    staging: Staging::StreamedLines {
        count_json_keys: false,
        typer: Some(&PriceTyper),
        // a first load puts the prices the reader judged whole straight into market.prices
        straight: &[Straight {
            kind: 0,
            sql: "prices_judged.sql",
            // a day repeated in a file is rare, but deleting any row costs a rewrite of the table
            first_of_key: FirstOfKey::Claimed,
            // into a table with rows, a day may be loaded already: load.sql weighs every line then
            while_empty: Some("market.prices"),
            typer: None,
        }],
    },
    dedup: Dedup::ConflictOnKey("(Symbol, Date)"),
    reference_file: Some("symbols_valid_meta.csv"),
    after_load: Some(&crate::stocks::ROLLING_FEATURES),
    indexed: None,
    name_is_data: true,
    rejects_are_lines: true,
};

/// Types the plainest price lines (`Date,Open,High,Low,Close,Adj Close,Volume` with a date written
/// `YYYY-MM-DD`, prices in plain decimals of at most 17 digits, Volume in digits, maybe with a fraction
/// of zeros), which `load.sql` (or, in a first load, `prices_judged.sql`) then takes as they are; the
/// header and anything less plain go to SQL. A day outside the plausible years is typed but left to SQL,
/// which rejects it with the line's text (`Typed::WithText`). Columns: `t_date`, `t_prices` (five:
/// `t_open`, `t_high`, `t_low`, `t_close`, `t_adj_close`) and `t_volume`; NULL for a line left to SQL.
pub struct PriceTyper;

const PRICES: [&str; 5] = ["t_open", "t_high", "t_low", "t_close", "t_adj_close"];

impl LineTyper for PriceTyper {
    fn fields(&self) -> Vec<Field> {
        let mut fields = vec![Field::new("t_date", DataType::Date32, true)];
        fields.extend(PRICES.map(|p| Field::new(p, DataType::Float64, true)));
        fields.push(Field::new("t_volume", DataType::Int64, true));
        fields
    }

    fn columns(&self) -> Box<dyn TypedColumns> {
        Box::new(Prices {
            date: Date32Builder::new(),
            prices: std::array::from_fn(|_| Float64Builder::new()),
            volume: Int64Builder::new(),
            last_key: None,
        })
    }
}

struct Prices {
    date: Date32Builder,
    prices: [Float64Builder; 5],
    volume: Int64Builder,
    /// The key of the line just typed within the plausible years (`TypedColumns::key`): its file and
    /// day.
    last_key: Option<u64>,
}

const MS_PER_DAY: i64 = 86_400_000;
/// The bits of a key (`TypedColumns::key`) that hold the day, counted from the first plausible one
/// (1900-01-01): the plausible years are 109,573 days.
const DAY_BITS: u32 = 17;
/// 1900-01-01, the first plausible day, as days since 1970-01-01.
const FIRST_DAY: i64 = PLAUSIBLE_EPOCH_MS.start().div_euclid(MS_PER_DAY);
const _: () = assert!(PLAUSIBLE_EPOCH_MS.end().div_euclid(MS_PER_DAY) - FIRST_DAY < 1 << DAY_BITS);

/// A price written as a plain decimal, in the grammar of `plain_json` numbers (no exponent).
fn price(text: &str) -> Option<f64> {
    is_plain_number(text).then(|| double(text)).flatten()
}

/// A volume written as digits, maybe with a fraction of zeros (`1158000.0`, as many files have it): the
/// whole number `meta.exact_whole` reads there.
fn whole_volume(text: &str) -> Option<i64> {
    let digits = match text.split_once('.') {
        Some((digits, zeros)) => zeros.bytes().all(|c| c == b'0').then_some(digits)?,
        None => text,
    };
    digits
        .bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| integer(digits))
        .flatten()
}

impl TypedColumns for Prices {
    fn push(&mut self, line: &str, file: LineFile) -> Typed {
        self.last_key = None;
        // the key holds the file id in 47 bits: a line of a file whose id does not fit is SQL's to type
        if !(0..1 << (64 - DAY_BITS)).contains(&file.id) {
            self.skip();
            return Typed::No;
        }
        let mut fields = line.split(',');
        let mut next = || fields.next();
        let date = next().and_then(date);
        let prices: [Option<f64>; 5] = std::array::from_fn(|_| next().and_then(price));
        let volume = next().and_then(whole_volume);
        let (Some(date), Some(volume), None) = (date, volume, next()) else {
            self.skip();
            return Typed::No;
        };
        if prices.iter().any(Option::is_none) {
            self.skip();
            return Typed::No;
        }
        self.date.append_value(date);
        for (builder, p) in self.prices.iter_mut().zip(prices) {
            builder.append_option(p);
        }
        self.volume.append_value(volume);
        // SQL rejects a typed line only for a day outside the plausible years (and a repeat of an
        // earlier line's day: the key finds those)
        let (first, last) = (FIRST_DAY, PLAUSIBLE_EPOCH_MS.end().div_euclid(MS_PER_DAY));
        if !(first..=last).contains(&i64::from(date)) {
            return Typed::WithText;
        }
        // file id and day, exact (load.sql takes them apart again): rows of one file share a symbol;
        // the keys of a file are neighbours (a straight read keeps them as bits: claims::KeySet)
        let day = (i64::from(date) - first) as u64;
        self.last_key = Some(((file.id as u64) << DAY_BITS) | day);
        Typed::Judged
    }

    fn skip(&mut self) {
        self.date.append_null();
        self.prices.iter_mut().for_each(|b| b.append_null());
        self.volume.append_null();
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns: Vec<ArrayRef> = vec![Arc::new(self.date.finish())];
        columns.extend(
            self.prices
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        columns.push(Arc::new(self.volume.finish()));
        columns
    }

    fn key(&self) -> Option<u64> {
        self.last_key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_lines_are_typed() {
        let mut columns = PriceTyper.columns();
        assert_eq!(
            columns.push(
                "2010-01-04,10.5,11,10.25,10.8,9.7,1158000",
                LineFile::default()
            ),
            Typed::Judged
        );
        assert_eq!(
            columns.push("2010-01-05,-0.5,0,0.0,1.25,0.1,0", LineFile::default()),
            Typed::Judged
        );
        // a whole volume with a fraction of zeros, as meta.exact_whole reads it
        for volume in ["1158000.0", "1158000.", "1158000.000", "0.0"] {
            let line = format!("2010-01-05,1,1,1,1,1,{volume}");
            assert_eq!(columns.push(&line, LineFile::default()), Typed::Judged);
        }
        // a day outside the plausible years is typed, but SQL rejects it: its text is sent
        for (line, typed) in [
            ("1900-01-01,1,1,1,1,1,1", Typed::Judged),
            ("2199-12-31,1,1,1,1,1,1", Typed::Judged),
            ("1899-12-31,1,1,1,1,1,1", Typed::WithText),
            ("2200-01-01,1,1,1,1,1,1", Typed::WithText),
        ] {
            assert_eq!(columns.push(line, LineFile::default()), typed, "{line}");
        }
        for line in [
            "Date,Open,High,Low,Close,Adj Close,Volume",
            "2010-01-04,10.5,11,10.25,10.8,9.7,1158000.5",
            "2010-01-04,10.5,11,10.25,10.8,9.7,.0",
            "2010-01-04,10.5,11,10.25,10.8,9.7,1.0.0",
            "2010-01-04,10.5,11,10.25,10.8,9.7,1e3",
            "2010-01-04,10.5,11,10.25,10.8,9.7,-5",
            "2010-01-04,10.5,11,10.25,10.8,9.7,-5.0",
            "2010-01-04,10.5,11,10.25,10.8,9.7,+5",
            "2010-01-04,10.5,11,10.25,10.8,9.7",
            "2010-01-04,10.5,11,10.25,10.8,9.7,1,2",
            "2010-01-04,10.5,,10.25,10.8,9.7,1",
            "2010-01-04,1e3,11,10.25,10.8,9.7,1",
            "2010-01-04,01.5,11,10.25,10.8,9.7,1",
            "2010-01-04,.5,11,10.25,10.8,9.7,1",
            "2010-01-04,5.,11,10.25,10.8,9.7,1",
            "2010-01-04,+5,11,10.25,10.8,9.7,1",
            "2010-01-04, 5,11,10.25,10.8,9.7,1",
            "2010-01-04,nan,11,10.25,10.8,9.7,1",
            "2010-01-04,0.123456789012345678,11,10.25,10.8,9.7,1",
            "\"2010-01-04\",5,11,10.25,10.8,9.7,1",
        ] {
            assert_eq!(columns.push(line, LineFile::default()), Typed::No, "{line}");
        }
    }

    #[test]
    fn a_key_is_the_file_and_the_day_and_only_a_plausible_day_has_one() {
        let mut columns = PriceTyper.columns();
        let line = "2010-01-04,10.5,11,10.25,10.8,9.7,1158000";
        let file = |id| LineFile { id, kind: 0 };
        // 2010-01-04 is day 40,180 from 1900-01-01 (1900 was no leap year)
        assert_eq!(columns.push(line, file(7)), Typed::Judged);
        assert_eq!(columns.key(), Some((7 << 17) | 40_180));
        assert_eq!(
            columns.push("1900-01-01,1,1,1,1,1,1", file(7)),
            Typed::Judged
        );
        assert_eq!(columns.key(), Some(7 << 17));
        assert_eq!(
            columns.push("2199-12-31,1,1,1,1,1,1", file(0)),
            Typed::Judged
        );
        assert_eq!(columns.key(), Some(109_572));
        assert_eq!(
            columns.push("2200-01-01,1,1,1,1,1,1", file(7)),
            Typed::WithText
        );
        assert_eq!(columns.key(), None);
        assert_eq!(columns.push(line, file((1 << 47) - 1)), Typed::Judged);
        assert_eq!(columns.key(), Some(((1 << 47) - 1) << 17 | 40_180));
        // a line of a file whose id does not fit the key is SQL's to type
        assert_eq!(columns.push(line, file(1 << 47)), Typed::No);
        assert_eq!(columns.key(), None);
        assert_eq!(columns.push(line, file(-1)), Typed::No);
    }
}
