//! The plainest JSON lines, read without a JSON parser: a one-line object whose keys and string values
//! hold no escapes and whose values are strings, numbers without an exponent, `true`, `false` or `null`.
//! A dataset types such lines in Rust (`lines::LineTyper`) and leaves every other line (nested values,
//! escapes, exponents, invalid JSON, text after the object) to its SQL, which judges it in full. So this
//! reader only has to be strict: whatever it accepts is valid JSON with the values it reports.
use super::lines::{LineTyper, TypedColumns};
use duckdb::arrow::array::{ArrayRef, BooleanBuilder, StringBuilder};
use duckdb::arrow::datatypes::{DataType, Field};
use std::sync::Arc;

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

/// A `LineTyper` for lines whose values all arrive as JSON strings (votes): a line is plain when every
/// key is one of `keys`, at most once, and every value a string without escapes or `null`. Columns: `plain`
/// (BOOLEAN: the line was taken) and `s_<key>` for each key (its text; NULL when absent or null), so SQL
/// reads the fields as JSON's own reader would hand them over, and keeps every typing rule itself.
pub struct StringMembers(pub &'static [&'static str]);

impl LineTyper for StringMembers {
    fn fields(&self) -> Vec<Field> {
        let mut fields = vec![Field::new("plain", DataType::Boolean, true)];
        fields.extend(
            self.0
                .iter()
                .map(|k| Field::new(format!("s_{k}"), DataType::Utf8, true)),
        );
        fields
    }

    fn columns(&self) -> Box<dyn TypedColumns> {
        Box::new(Members {
            keys: self.0,
            plain: BooleanBuilder::new(),
            values: self.0.iter().map(|_| StringBuilder::new()).collect(),
            found: vec![None; self.0.len()],
        })
    }
}

struct Members {
    keys: &'static [&'static str],
    plain: BooleanBuilder,
    values: Vec<StringBuilder>,
    /// This line's values (a key seen twice is not plain): Some(None) for null.
    found: Vec<Option<Option<(usize, usize)>>>,
}

impl TypedColumns for Members {
    fn push(&mut self, line: &str) -> bool {
        self.found.iter_mut().for_each(|f| *f = None);
        let (keys, found) = (self.keys, &mut self.found);
        let base = line.as_ptr() as usize;
        let plain = plain_object(line, |key, value| {
            let Some(i) = keys.iter().position(|k| *k == key) else {
                return false;
            };
            let span = match value {
                Value::Str(s) => Some((s.as_ptr() as usize - base, s.len())),
                Value::Literal("null") => None,
                _ => return false,
            };
            found[i].replace(span).is_none()
        });
        if !plain {
            self.skip();
            return false;
        }
        self.plain.append_value(true);
        for (builder, f) in self.values.iter_mut().zip(&self.found) {
            builder.append_option(f.flatten().map(|(at, len)| &line[at..at + len]));
        }
        true
    }

    fn skip(&mut self) {
        self.plain.append_null();
        self.values.iter_mut().for_each(|b| b.append_null());
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns: Vec<ArrayRef> = vec![Arc::new(self.plain.finish())];
        columns.extend(
            self.values
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        columns
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::arrow::array::StringArray;

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
    fn string_members_take_only_known_keys_with_string_or_null_values() {
        let mut columns = StringMembers(&["Id", "UserId"]).columns();
        assert!(columns.push(r#"{"Id":"1","UserId":null}"#));
        assert!(columns.push(r#"{"UserId":"7"}"#));
        assert!(!columns.push(r#"{"Id":"1","Other":"2"}"#));
        assert!(!columns.push(r#"{"Id":"1","Id":"2"}"#));
        assert!(!columns.push(r#"{"Id":1}"#));
        assert!(!columns.push(r#"{"Id":true}"#));
        let out = columns.finish();
        let id = out[1].as_any().downcast_ref::<StringArray>().unwrap();
        let user = out[2].as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(
            id.iter().collect::<Vec<_>>(),
            [Some("1"), None, None, None, None, None]
        );
        assert_eq!(
            user.iter().collect::<Vec<_>>(),
            [None, Some("7"), None, None, None, None]
        );
    }
}
