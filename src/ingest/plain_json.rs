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
    // Keys and most values are short: one pass over their bytes, without a search's setup.
    for (j, &c) in b.iter().enumerate().skip(start).take(SHORT_STRING) {
        match c {
            b'"' => return Some((&line[start..j], j + 1)),
            b'\\' => return None,
            c if c < 0x20 => return None,
            _ => {}
        }
    }
    let len = memchr::memchr2(b'"', b'\\', &b[start..])?;
    let end = start + len;
    if b[end] == b'\\' || b[start..end].iter().any(|&c| c < 0x20) {
        return None;
    }
    Some((&line[start..end], end + 1))
}

/// How many bytes of a string `string` reads one by one before it searches.
const SHORT_STRING: usize = 48;

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

/// The fast path of `plain_object` for a line written compactly, `{"k0":v0,"k1":v1,...}`: no whitespace
/// anywhere, nothing after the object (as most writers write JSON lines). Calls `member` with each key
/// and value, as `plain_object` would. False when the line is written otherwise or `member` gave up on
/// it: then the caller forgets what `member` was given and lets `plain_object` read the line, to the same
/// result.
pub fn compact_object<'a>(
    line: &'a str,
    mut member: impl FnMut(&'a str, Value<'a>) -> bool,
) -> bool {
    let b = line.as_bytes();
    if b.first() != Some(&b'{') {
        return false;
    }
    let mut i = 1;
    loop {
        if b.get(i) != Some(&b'"') {
            return false;
        }
        let Some((key, j)) = string(line, i) else {
            return false;
        };
        if b.get(j) != Some(&b':') {
            return false;
        }
        let Some((v, j)) = value(line, j + 1) else {
            return false;
        };
        if !member(key, v) {
            return false;
        }
        match b.get(j) {
            Some(b',') => i = j + 1,
            Some(b'}') => return j + 1 == b.len(),
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
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    // (18 digits cannot overflow an i64; no second pass of `str::parse`)
    let mut value: i64 = 0;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(c - b'0');
    }
    Some(if negative { -value } else { value })
}

/// A `Value::Num` of at most 17 significant digits as f64. Every correctly rounding reader (Rust's,
/// DuckDB's, yyjson's) gives the same double for such a text; longer ones are left to SQL.
pub fn double(text: &str) -> Option<f64> {
    // In one pass: the digits as an integer (exact while there are at most 15), how many follow the
    // point, and whether the text is only an optional '-', digits and at most one '.'.
    let negative = text.starts_with('-');
    let (mut mantissa, mut digits, mut fraction) = (0u64, 0usize, 0i32);
    let (mut after_point, mut simple) = (false, true);
    for c in text.bytes().skip(usize::from(negative)) {
        match c {
            b'0'..=b'9' => {
                digits += 1;
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                fraction += i32::from(after_point);
            }
            b'.' if !after_point => after_point = true,
            _ => simple = false,
        }
    }
    if digits > 17 {
        return None;
    }
    // Clinger's fast path: a mantissa of at most 15 digits is exact in a double, as is 10^k for k up to
    // 22, so one division rounds correctly, as `str::parse` does (a test compares the two).
    if simple && (1..=15).contains(&digits) && fraction <= 22 {
        let value = mantissa as f64 / POWERS_OF_TEN[fraction as usize];
        return Some(if negative { -value } else { value });
    }
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

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
    fn a_compact_object_is_read_as_plain_object_reads_it_or_left_to_it() {
        let members = |line: &str, fast: bool| {
            let mut seen = Vec::new();
            let mut note = |k: &str, v: Value| {
                seen.push(format!("{k}={v:?}"));
                true
            };
            let ok = if fast {
                compact_object(line, &mut note)
            } else {
                plain_object(line, &mut note)
            };
            ok.then_some(seen)
        };
        let compact = [
            r#"{"user":"a","timestamp":1,"x":-0.5}"#,
            r#"{"x":null,"user":"","timestamp":-0}"#,
            r#"{"user":"ü","timestamp":true,"x":"1","user":"b"}"#,
            r#"{"a":false}"#,
        ];
        for line in compact {
            assert!(members(line, true).is_some(), "{line}");
            assert_eq!(members(line, true), members(line, false), "{line}");
        }
        let otherwise = [
            r#"{ "user":"a","timestamp":1}"#,
            r#"{"user":"a","timestamp":1} "#,
            r#"{"user" :"a"}"#,
            r#"{"user": "a"}"#,
            r#"{"user":"a" ,"x":1}"#,
            r#"{"user":"a\u0040"}"#,
            r#"{"us\u0065r":"a"}"#,
            r#"{"x":1e2}"#,
            r#"{"x":1}x"#,
            r#"{"x":1"#,
            r#"{"x":}"#,
            r#"{"x":1,}"#,
            r#"{}"#,
            r#"[1]"#,
            "",
            "{",
        ];
        for line in otherwise {
            assert!(members(line, true).is_none(), "{line}");
        }
    }

    #[test]
    fn strings_short_and_long_end_at_their_quote_and_refuse_escapes_and_control_characters() {
        for n in [0, 1, 47, 48, 49, 200] {
            let text = "a".repeat(n);
            let line = format!("\"{text}\",");
            assert_eq!(string(&line, 0), Some((text.as_str(), n + 2)), "{n}");
            for odd in ["\\n", "\u{1}", "\t"] {
                for at in [0, n / 2, n] {
                    let mut t = text.clone();
                    t.insert_str(at, odd);
                    assert_eq!(string(&format!("\"{t}\""), 0), None, "{n} {at} {odd:?}");
                }
            }
        }
        assert_eq!(string("\"unclosed", 0), None);
        assert_eq!(string(&format!("\"{}", "a".repeat(100)), 0), None);
    }

    #[test]
    fn the_fast_readings_of_numbers_agree_with_str_parse() {
        // every shape of short decimal, and texts outside the grammar, against the standard reader
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "-0.0",
            "0.1",
            "1.",
            ".5",
            "-.5",
            "00.10",
            "1.2.3",
            "-",
            "",
            ".",
            "+1",
            "1e5",
            "1_0",
            "12345678901234.5",
            "123456789012345",
            "1234567890123456",
            "0.30000000000000004",
            "9007199254740993",
            "0.0000000000000000000001",
            "-1655564376361",
            "x",
        ]
        .map(String::from)
        .to_vec();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let int = seed % 10u64.pow((seed >> 60) as u32 % 16);
            let point = (seed >> 40) as usize % 18;
            let mut t = int.to_string();
            if point < t.len() {
                t.insert(t.len() - point, '.');
            }
            if seed & 1 == 1 {
                t.insert(0, '-');
            }
            texts.push(t);
        }
        for t in &texts {
            let digits = t.bytes().filter(u8::is_ascii_digit).count();
            let by_parse = if digits > 17 {
                None
            } else {
                t.parse::<f64>().ok().filter(|x| x.is_finite())
            };
            assert_eq!(
                double(t).map(f64::to_bits),
                by_parse.map(f64::to_bits),
                "{t:?}"
            );
            let is_integer = t.strip_prefix('-').unwrap_or(t);
            let by_parse = (!is_integer.is_empty()
                && is_integer.len() <= 18
                && is_integer.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse::<i64>().ok())
            .flatten();
            assert_eq!(integer(t), by_parse, "{t:?}");
        }
    }

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
