//! The plainest JSON lines, read without a JSON parser: a one-line object whose keys and string values
//! hold no escapes and whose values are strings, numbers without an exponent, `true`, `false` or `null`.
//! A dataset types such lines in Rust (`lines::LineTyper`) and leaves every other line (nested values,
//! escapes, exponents, invalid JSON, text after the object) to its SQL, which judges it in full. So this
//! reader only has to be strict: whatever it accepts is valid JSON with the values it reports.

/// A member's value, as written.
#[derive(Debug, PartialEq)]
pub enum Value<'a> {
    /// A string's text (between the quotes; it had no escapes and no control characters).
    Str(&'a str),
    /// A number in JSON's grammar without an exponent: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
    Num(&'a str),
    /// `true`, `false` or `null`.
    Literal(&'a str),
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// A string starting at `b[i] == '"'`: its text and the index after the closing quote. None when it
/// holds an escape or a control character (or does not close).
fn string(line: &str, i: usize) -> Option<(&str, usize)> {
    let b = line.as_bytes();
    let start = i + 1;
    let len = memchr::memchr2(b'"', b'\\', &b[start..])?;
    let end = start + len;
    if b[end] == b'\\' || b[start..end].iter().any(|&c| c < 0x20) {
        return None;
    }
    Some((&line[start..end], end + 1))
}

/// A number starting at `b[i]` in the grammar of `Value::Num`: its text and the index after it.
fn number(line: &str, i: usize) -> Option<(&str, usize)> {
    let b = line.as_bytes();
    let digits = |mut j: usize| {
        let from = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        (j > from).then_some(j)
    };
    let mut j = i;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    j = match b.get(j) {
        Some(b'0') => j + 1,
        Some(b'1'..=b'9') => digits(j)?,
        _ => return None,
    };
    if b.get(j) == Some(&b'.') {
        j = digits(j + 1)?;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        return None;
    }
    Some((&line[i..j], j))
}

/// Whether `text` is, whole, a number in the grammar of `Value::Num` (for values outside JSON: CSV).
pub fn is_plain_number(text: &str) -> bool {
    number(text, 0).is_some_and(|(_, end)| end == text.len())
}

fn value(line: &str, i: usize) -> Option<(Value<'_>, usize)> {
    let b = line.as_bytes();
    match b.get(i)? {
        b'"' => string(line, i).map(|(s, j)| (Value::Str(s), j)),
        b'-' | b'0'..=b'9' => number(line, i).map(|(s, j)| (Value::Num(s), j)),
        _ => ["true", "false", "null"]
            .into_iter()
            .find(|word| b[i..].starts_with(word.as_bytes()))
            .map(|word| (Value::Literal(&line[i..i + word.len()]), i + word.len())),
    }
}

/// Calls `member` with each key and value of `line` when the line is a plain object (see the module);
/// `member` returns false to give up on the line. True when the whole line was read and `member`
/// accepted every member; false otherwise (then the line is for SQL to judge).
pub fn plain_object<'a>(line: &'a str, mut member: impl FnMut(&'a str, Value<'a>) -> bool) -> bool {
    let b = line.as_bytes();
    let mut i = skip_space(b, 0);
    if b.get(i) != Some(&b'{') {
        return false;
    }
    i = skip_space(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return skip_space(b, i + 1) == b.len();
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return false;
        }
        let Some((key, j)) = string(line, i) else {
            return false;
        };
        i = skip_space(b, j);
        if b.get(i) != Some(&b':') {
            return false;
        }
        i = skip_space(b, i + 1);
        let Some((v, j)) = value(line, i) else {
            return false;
        };
        if !member(key, v) {
            return false;
        }
        i = skip_space(b, j);
        match b.get(i) {
            Some(b',') => i = skip_space(b, i + 1),
            Some(b'}') => return skip_space(b, i + 1) == b.len(),
            _ => return false,
        }
    }
}

/// The epoch milliseconds SQL takes as a time (`meta.epoch_ms_of`: the plausible years, 1900-2199). A
/// typer that judges ranges types no other; a test checks that the two bounds agree.
pub const PLAUSIBLE_EPOCH_MS: std::ops::RangeInclusive<i64> =
    -2_208_988_800_000..=7_258_118_399_999;

/// A `Value::Num` that is an integer of at most 18 digits (so it fits an i64), as i64.
pub fn integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A `Value::Num` of at most 17 significant digits as f64. Every correctly rounding reader (Rust's,
/// DuckDB's, yyjson's) gives the same double for such a text; longer ones are left to SQL.
pub fn double(text: &str) -> Option<f64> {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    if digits > 17 {
        return None;
    }
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date that exists; None for anything else.
pub fn date(text: &str) -> Option<i32> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (
        digits(text, 0..4)?,
        digits(text, 5..7)?,
        digits(text, 8..10)?,
    );
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month[(m - 1) as usize] {
        return None;
    }
    // days from the civil date (H. Hinnant's algorithm)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Microseconds since 1970-01-01 of a timestamp without a zone, written `YYYY-MM-DDTHH:MM:SS` (or with a
/// space for the `T`) and at most six digits of a second, that exists (hours below 24, minutes and
/// seconds below 60); None for anything else (a zone, a leap second, a date alone), which SQL judges.
pub fn timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let days = i64::from(date(&text[..10])?);
    let (h, m, s) = (
        digits(text, 11..13)?,
        digits(text, 14..16)?,
        digits(text, 17..19)?,
    );
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let micros = match &text[19..] {
        "" => 0,
        f if f.len() >= 2 && f.len() <= 7 && f.starts_with('.') => {
            let n = digits(f, 1..f.len())?;
            i64::from(n) * 10i64.pow(7 - f.len() as u32)
        }
        _ => return None,
    };
    Some(
        ((days * 24 + i64::from(h)) * 60 + i64::from(m)) * 60_000_000
            + i64::from(s) * 1_000_000
            + micros,
    )
}

/// The number written by the ASCII digits at `range` of `text` (nothing else allowed).
fn digits(text: &str, range: std::ops::Range<usize>) -> Option<i32> {
    let part = text.get(range)?;
    part.bytes().all(|c| c.is_ascii_digit()).then_some(())?;
    part.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plausible_epoch_milliseconds_are_those_sql_takes() {
        let dir = tempfile::tempdir().unwrap();
        let wh = crate::duck::warehouse::Warehouse::open(&dir.path().join("w.db")).unwrap();
        let (lo, hi) = (*PLAUSIBLE_EPOCH_MS.start(), *PLAUSIBLE_EPOCH_MS.end());
        let taken: Vec<bool> = [lo - 1, lo, hi, hi + 1]
            .iter()
            .map(|ms| {
                wh.conn
                    .query_row(
                        &format!("SELECT meta.epoch_ms_of({ms}::BIGINT) IS NOT NULL"),
                        [],
                        |r| r.get(0),
                    )
                    .unwrap()
            })
            .collect();
        assert_eq!(taken, [false, true, true, false]);
    }

    fn members(line: &str) -> Option<Vec<(String, String)>> {
        let mut found = Vec::new();
        plain_object(line, |k, v| {
            found.push((k.to_string(), format!("{v:?}")));
            true
        })
        .then_some(found)
    }

    #[test]
    fn plain_objects_are_read_member_by_member() {
        let read =
            members(r#" { "a" : "x y", "b":-0.5,"c":12 , "d":null,"e":true,"f":false,"g":"" } "#)
                .expect("plain");
        let expected = [
            ("a", "Str(\"x y\")"),
            ("b", "Num(\"-0.5\")"),
            ("c", "Num(\"12\")"),
            ("d", "Literal(\"null\")"),
            ("e", "Literal(\"true\")"),
            ("f", "Literal(\"false\")"),
            ("g", "Str(\"\")"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(read, expected);
        assert_eq!(members("{}"), Some(vec![]));
        assert_eq!(
            members(r#"{"é":"ü"}"#),
            Some(vec![("é".into(), "Str(\"ü\")".into())])
        );
    }

    #[test]
    fn anything_less_plain_is_left_to_sql() {
        for line in [
            "",
            "[]",
            "12",
            r#""a""#,
            r#"{"a":1"#,
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a":1}{"b":2}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"{"a":"x\"y"}"#,
            r#"{"a\n":1}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":{"b":1}}"#,
            r#"{"a":[1]}"#,
            r#"{"a":1e3}"#,
            r#"{"a":1.5E-3}"#,
            r#"{"a":01}"#,
            r#"{"a":-}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":+1}"#,
            r#"{"a":NaN}"#,
            r#"{"a":Infinity}"#,
            r#"{"a":nul}"#,
            r#"{"a":truex}"#,
            r#"{"a":'x'}"#,
        ] {
            assert_eq!(members(line), None, "{line:?}");
        }
    }

    #[test]
    fn the_caller_can_refuse_a_member() {
        assert!(!plain_object(r#"{"a":1,"b":2}"#, |k, _| k != "b"));
    }

    #[test]
    fn numbers_convert_only_when_every_reader_agrees() {
        assert_eq!(integer("1655564376361"), Some(1_655_564_376_361));
        assert_eq!(integer("-12"), Some(-12));
        assert_eq!(integer("1.0"), None);
        assert_eq!(integer("1234567890123456789"), None);
        assert_eq!(double("-0.727"), Some(-0.727));
        assert_eq!(double("12"), Some(12.0));
        assert_eq!(double("0.1000000000000000000001"), None);
        assert_eq!(double("12345678901234567"), Some(12_345_678_901_234_567.0));
    }

    #[test]
    fn dates_are_days_since_1970_and_only_real_ones() {
        assert_eq!(date("1970-01-01"), Some(0));
        assert_eq!(date("2000-02-29"), Some(11_016));
        assert_eq!(date("1899-12-31"), Some(-25_568));
        assert_eq!(date("2199-12-31"), Some(84_005));
        for bad in [
            "1900-02-29",
            "2021-02-29",
            "2021-13-01",
            "2021-00-10",
            "2021-04-31",
            "2021-1-01",
            "2021/01/01",
            "20210101",
            " 2021-01-01",
            "+021-01-01",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_are_microseconds_and_only_plain_real_ones() {
        assert_eq!(timestamp("1970-01-01T00:00:00"), Some(0));
        assert_eq!(timestamp("1970-01-02 00:00:01.5"), Some(86_401_500_000));
        assert_eq!(
            timestamp("2008-08-01T00:00:00.000"),
            Some(1_217_548_800_000_000)
        );
        assert_eq!(timestamp("1969-12-31T23:59:59.999999"), Some(-1));
        for bad in [
            "2008-08-01",
            "2008-08-01T24:00:00",
            "2008-08-01T23:60:00",
            "2008-08-01T23:59:60",
            "2008-08-01T00:00:00Z",
            "2008-08-01T00:00:00+02:00",
            "2008-08-01T00:00:00.",
            "2008-08-01T00:00:00.1234567",
            "2008-08-01T0:00:00",
            "2008-02-30T00:00:00",
            "2008-08-01t00:00:00",
        ] {
            assert_eq!(timestamp(bad), None, "{bad}");
        }
    }
}
