//! JSON read as serde_json reads it, except that an object with a repeated key is an error: parsers
//! disagree on which value wins (serde_json keeps the last, others the first), so a request that says
//! `{"vol_moving_avg": -1, "vol_moving_avg": 1}` is refused rather than answered for one of them. And
//! the values are counted as they are read, so a body cannot hold more than its caller allows.
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::fmt;

/// Why a text is refused.
#[derive(Debug)]
pub enum Refused {
    /// More values (numbers, strings, lists, objects...) than allowed: parsing stopped there, before
    /// the tree of a 2 MiB body of tiny lists took tens of megabytes.
    TooManyValues,
    /// Not JSON (serde_json's message, with line and column), or "the key 'k' is repeated".
    Invalid(serde_json::Error),
}

/// The JSON value of `bytes`, holding at most `max_values` values in all.
pub fn parse(bytes: &[u8], max_values: usize) -> Result<Value, Refused> {
    let count = Cell::new(0);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = Strict {
        count: &count,
        max_values,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|e| {
        if count.get() > max_values {
            Refused::TooManyValues
        } else {
            Refused::Invalid(e)
        }
    })
}

/// One value to read, counted against the whole text's allowance.
#[derive(Clone, Copy)]
struct Strict<'a> {
    count: &'a Cell<usize>,
    max_values: usize,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.count.set(self.count.get() + 1);
        if self.count.get() > self.max_values {
            return Err(de::Error::custom("too many values"));
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the key '{}' is repeated",
                    crate::text::printable(&key, 40)
                )));
            }
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, Refused};
    use serde_json::json;

    const PLENTY: usize = 1_000;

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text =
            br#"{"a": [1, -2, 2.5, 18446744073709551615, "s", true, null, {"b": {}}], "c": []}"#;
        assert_eq!(
            parse(text, PLENTY).unwrap(),
            serde_json::from_slice::<serde_json::Value>(text).unwrap()
        );
        assert_eq!(parse(b"[[1, 2]]", PLENTY).unwrap(), json!([[1, 2]]));
    }

    #[test]
    fn a_repeated_key_is_an_error_at_any_depth() {
        for text in [
            r#"{"a": 1, "a": 1}"#,
            r#"[{"x": 1, "a": 2, "a": 3}]"#,
            r#"{"instances": [[1, 2]], "instances": "x"}"#,
        ] {
            let Err(Refused::Invalid(e)) = parse(text.as_bytes(), PLENTY) else {
                panic!("{text} was not refused as invalid");
            };
            let message = e.to_string();
            assert!(message.contains("is repeated"), "{text}: {message}");
        }
        // the same key in two objects is not a repeat
        assert!(parse(br#"[{"a": 1}, {"a": 2}]"#, PLENTY).is_ok());
    }

    #[test]
    fn what_serde_json_refuses_is_still_refused() {
        for text in ["[1e999]", "[1, 2", "", "[1] x", "{\"a\" 1}"] {
            assert!(
                matches!(parse(text.as_bytes(), PLENTY), Err(Refused::Invalid(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn values_are_counted_at_every_depth_and_parsing_stops_past_the_allowance() {
        // [[1, 2], [1, 2]] is 7 values: the outer list, two lists, four numbers
        assert!(parse(b"[[1, 2], [1, 2]]", 7).is_ok());
        assert!(matches!(
            parse(b"[[1, 2], [1, 2]]", 6),
            Err(Refused::TooManyValues)
        ));
        assert!(parse(br#"{"a": {"b": [1]}}"#, 4).is_ok());
        assert!(matches!(
            parse(br#"{"a": {"b": [1]}}"#, 3),
            Err(Refused::TooManyValues)
        ));
        // a text that is also not JSON further on is refused for its size first
        assert!(matches!(
            parse(b"[1, 2, 3, x", 2),
            Err(Refused::TooManyValues)
        ));
    }
}
