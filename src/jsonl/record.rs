//! One record: finding the text field's value in the line as it stands, and writing the line
//! back with only that value replaced.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::json_str::{unescape, write_string};

/// A line without its line ending.
pub(super) fn body_of(line: &[u8]) -> &[u8] {
    let body = line.strip_suffix(b"\n").unwrap_or(line);
    body.strip_suffix(b"\r").unwrap_or(body)
}

/// Reads a record as a JSON object and finds the value of its field `key` as it is in the line
/// (quotes and escapes included), without building the object: the other fields are checked for
/// well-formedness and left as they are.
pub(super) struct FindField<'k>(&'k str);

impl<'de, 'k> DeserializeSeed<'de> for FindField<'k> {
    type Value = Option<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 'k> Visitor<'de> for FindField<'k> {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(is_key) = map.next_key_seed(IsKey(self.0))? {
            let raw: &'de RawValue = map.next_value()?;
            if is_key {
                if found.is_some() {
                    return Err(serde::de::Error::custom(format_args!(
                        "field {:?} appears twice",
                        self.0
                    )));
                }
                found = Some(raw);
            }
        }
        Ok(found)
    }
}

/// Deserializes an object key and tells whether it is the wanted one (escapes decoded).
pub(super) struct IsKey<'k>(&'k str);

impl<'de, 'k> DeserializeSeed<'de> for IsKey<'k> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'k> Visitor<'de> for IsKey<'k> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<bool, E> {
        Ok(v == self.0)
    }
}

/// A record's text field: where its value (quotes included) lies in the line, and the value.
pub(super) struct Record<'a> {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) value: Cow<'a, str>,
}

/// Finds the text field of a record. `Ok(None)` for a blank line (kept blank).
pub(super) fn parse_record<'a>(
    body: &'a [u8],
    key: &str,
) -> std::result::Result<Option<Record<'a>>, String> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(None);
    }
    // JSON text is UTF-8: check the whole line at once (SIMD) and let the parser read a `str`
    // (it checks every string it meets again when it reads bytes).
    let body = simdutf8::basic::from_utf8(body).map_err(|_| "not UTF-8".to_string())?;
    let mut de = serde_json::Deserializer::from_str(body);
    let raw = FindField(key)
        .deserialize(&mut de)
        .and_then(|f| de.end().map(|()| f))
        .map_err(|e| format!("not a JSON object ({e})"))?
        .ok_or_else(|| format!("no field {key:?}"))?;
    let raw = raw.get();
    let value = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .and_then(unescape)
        .ok_or_else(|| format!("field {key:?} is not a string"))?;
    // The raw value is a slice of `body`.
    let start = raw.as_ptr() as usize - body.as_ptr() as usize;
    Ok(Some(Record {
        start,
        end: start + raw.len(),
        value,
    }))
}

/// Sets field `key` of the record written at `out[from..]` to `value` (raw JSON): its value is
/// replaced when the record has the field, else the field is added before the closing brace.
/// Every other byte stays as it was.
pub(super) fn set_field(out: &mut Vec<u8>, from: usize, key: &str, value: &str) {
    let existing = std::str::from_utf8(&out[from..]).ok().and_then(|line| {
        let mut de = serde_json::Deserializer::from_str(line);
        let raw = FindField(key).deserialize(&mut de).ok()??.get();
        let start = raw.as_ptr() as usize - line.as_ptr() as usize;
        Some((from + start, from + start + raw.len()))
    });
    match existing {
        Some((start, end)) => {
            out.splice(start..end, value.bytes());
        }
        None => {
            let Some(close) = out[from..].iter().rposition(|&b| b == b'}') else {
                return;
            };
            let mut field = Vec::with_capacity(key.len() + value.len() + 4);
            // `{}` has no field to follow.
            let empty = out[from..from + close]
                .iter()
                .rev()
                .find(|b| !b.is_ascii_whitespace())
                == Some(&b'{');
            if !empty {
                field.push(b',');
            }
            write_string(key, &mut field);
            field.push(b':');
            field.extend_from_slice(value.as_bytes());
            out.splice(from + close..from + close, field);
        }
    }
}

/// The line with the text field's value replaced by `cleaned`, every other byte as it was.
pub(super) fn write_record(body: &[u8], rec: &Record, cleaned: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&body[..rec.start]);
    write_string(cleaned, out);
    out.extend_from_slice(&body[rec.end..]);
}
