//! JSON read as serde_json reads it, except that an object with a repeated key is an error: parsers
//! disagree on which value wins (serde_json keeps the last, others the first), so a request that says
//! `{"vol_moving_avg": -1, "vol_moving_avg": 1}` is refused rather than answered for one of them.
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// The JSON value of `bytes`, or serde_json's message (with line and column), or "the key 'k' is repeated".
pub fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice::<Strict>(bytes).map(|strict| strict.0)
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
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
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(item)) = seq.next_element()? {
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
            let Strict(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde_json::json;

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text =
            br#"{"a": [1, -2, 2.5, 18446744073709551615, "s", true, null, {"b": {}}], "c": []}"#;
        assert_eq!(
            parse(text).unwrap(),
            serde_json::from_slice::<serde_json::Value>(text).unwrap()
        );
        assert_eq!(parse(b"[[1, 2]]").unwrap(), json!([[1, 2]]));
    }

    #[test]
    fn a_repeated_key_is_an_error_at_any_depth() {
        for text in [
            r#"{"a": 1, "a": 1}"#,
            r#"[{"x": 1, "a": 2, "a": 3}]"#,
            r#"{"instances": [[1, 2]], "instances": "x"}"#,
        ] {
            let message = parse(text.as_bytes()).unwrap_err().to_string();
            assert!(message.contains("is repeated"), "{text}: {message}");
        }
        // the same key in two objects is not a repeat
        assert!(parse(br#"[{"a": 1}, {"a": 2}]"#).is_ok());
    }

    #[test]
    fn what_serde_json_refuses_is_still_refused() {
        for text in ["[1e999]", "[1, 2", "", "[1] x", "{\"a\" 1}"] {
            assert!(parse(text.as_bytes()).is_err(), "{text}");
        }
    }
}
