//! The placeholders `credit-scorer schema-template` leaves for what only the bank knows, and
//! the refusal of a schema that still holds any.

use super::schema_error;
use crate::error::Result;

/// How a value `credit-scorer schema-template` cannot know starts: a text saying what the bank
/// must fill in there. A schema holding one is refused until it is replaced.
pub const PLACEHOLDER: &str = "TODO:";

/// The [`PLACEHOLDER`] texts in `value`, with where they are (`features[2].baseline`), arrays
/// in order, objects by key.
pub fn placeholders(value: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(value: &serde_json::Value, at: &str, found: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::String(text) if text.trim_start().starts_with(PLACEHOLDER) => {
                found.push((at.to_string(), text.clone()));
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}[{i}]"), found);
                }
            }
            serde_json::Value::Object(fields) => {
                for (key, item) in fields {
                    let path = if at.is_empty() {
                        key.clone()
                    } else {
                        format!("{at}.{key}")
                    };
                    walk(item, &path, found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, "", &mut found);
    found
}

/// Refuses a schema `value` that still holds [`PLACEHOLDER`]s, naming the first and up to four
/// more.
pub(super) fn refuse(value: &serde_json::Value) -> Result<()> {
    let todo = placeholders(value);
    if let Some((path, text)) = todo.first() {
        let more = match todo.len() {
            1 => String::new(),
            n => format!(
                " ({} more: {}{})",
                n - 1,
                todo.iter()
                    .skip(1)
                    .take(4)
                    .map(|(p, _)| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if n > 5 { " …" } else { "" }
            ),
        };
        return Err(schema_error(format!(
            "the schema still holds {} placeholder{} from `credit-scorer schema-template` to fill in: `{path}` says \"{text}\"{more}; replace each `{PLACEHOLDER}` text with the bank's own value, or delete the line where the placeholder says so (docs/SCHEMA.md, \"Preparing a bank's model\")",
            todo.len(),
            if todo.len() == 1 { "" } else { "s" },
        )));
    }
    Ok(())
}
