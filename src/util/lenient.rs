//! Deserializers for what Mastodon clients send in forms and JSON alike: booleans as `true`,
//! `"true"`, `"1"` or `"True"` (Python clients), and numbers as strings.

use serde::{Deserialize, Deserializer, de};

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrText {
    Bool(bool),
    Number(i64),
    Text(String),
}

fn to_bool<E: de::Error>(value: BoolOrText) -> Result<bool, E> {
    match value {
        BoolOrText::Bool(flag) => Ok(flag),
        BoolOrText::Number(number) => Ok(number != 0),
        BoolOrText::Text(text) => match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "on" | "yes" | "t" => Ok(true),
            "false" | "0" | "off" | "no" | "f" | "" => Ok(false),
            _ => Err(E::custom(format!("expected a boolean, got {text:?}"))),
        },
    }
}

/// A boolean that may come as text.
pub fn bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    to_bool(BoolOrText::deserialize(deserializer)?)
}

/// An optional boolean that may come as text.
pub fn option_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    match Option::<BoolOrText>::deserialize(deserializer)? {
        None => Ok(None),
        Some(value) => to_bool(value).map(Some),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(u64),
    Text(String),
}

/// An optional unsigned number that may come as text; an empty string counts as absent.
pub fn option_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    match Option::<NumberOrText>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrText::Number(number)) => Ok(Some(number)),
        Some(NumberOrText::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(NumberOrText::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("expected a number, got {text:?}"))),
    }
}
