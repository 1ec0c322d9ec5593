//! Deserializers that accept what real senders send (see ARCHITECTURE.md § Protocol facts) and
//! refuse what would corrupt the numbers: negative, fractional or absurdly large counts.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// Largest session count accepted in one field: far above any real day's traffic, and small
/// enough that sums over every policy a bounded report can hold stay inside an `i64` column.
pub const MAX_COUNT: u64 = 1_000_000_000_000;

pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    struct CountVisitor;
    impl Visitor<'_> for CountVisitor {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a whole number of sessions from 0 to {MAX_COUNT}")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            if v > MAX_COUNT {
                return Err(E::invalid_value(de::Unexpected::Unsigned(v), &self));
            }
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            if v < 0 {
                return Err(E::invalid_value(de::Unexpected::Signed(v), &self));
            }
            self.visit_u64(v as u64)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            // serde_json hands integers beyond u64 over as floats: an overflow, not a fraction.
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
    d.deserialize_any(CountVisitor)
}

/// A string that must be present and not blank; numbers are accepted as their text.
pub fn required_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match optional_text(d)? {
        Some(text) => Ok(text),
        None => Err(de::Error::custom("must be a non-empty string")),
    }
}

/// A string, a number (kept as its text), null, or blank (both `None`). Trimmed.
pub fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct TextVisitor;
    impl<'de> Visitor<'de> for TextVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let v = v.trim();
            Ok((!v.is_empty()).then(|| v.to_string()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            if v.trim().len() == v.len() {
                return Ok((!v.is_empty()).then_some(v));
            }
            self.visit_str(&v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(TextVisitor)
}

/// `null` reads as an empty list.
pub fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A single string, an array of strings, or null. Blank entries are dropped.
pub fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct OneOrMany;
    impl<'de> Visitor<'de> for OneOrMany {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or an array of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let v = v.trim();
            Ok(if v.is_empty() { vec![] } else { vec![v.to_string()] })
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(vec![])
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(vec![])
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element::<String>()? {
                let item = item.trim();
                if !item.is_empty() {
                    out.push(item.to_string());
                }
            }
            Ok(out)
        }
    }
    d.deserialize_any(OneOrMany)
}

/// RFC 3339 date-times; without a zone (Microsoft) they are read as UTC; a bare date is midnight.
pub fn datetime<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = required_text(d)?;
    parse_datetime(&text).ok_or_else(|| {
        de::Error::custom(format!(
            "{text:?} is not a date-time (expected e.g. 2026-11-28T00:00:00Z)"
        ))
    })
}

pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.with_timezone(&Utc));
    }
    // RFC 3339 allows a lower-case `t`/`z`; some senders use a space instead of `T`.
    let upper = text.to_ascii_uppercase().replacen(' ', "T", 1);
    if let Ok(dt) = DateTime::parse_from_rfc3339(&upper) {
        return Some(dt.with_timezone(&Utc));
    }
    let naive = upper.trim_end_matches('Z');
    if let Ok(dt) = NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(dt.and_utc());
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M") {
        return Some(dt.and_utc());
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc())
}
