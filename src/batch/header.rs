//! The input's header mapped to the model's features.

use serde::Serialize;

use super::csv_error;
use crate::error::Result;
use crate::schema::Schema;

/// A header name compared case- and space-insensitively: `Credit Amount`, `credit_amount` and
/// `CREDIT-AMOUNT` are the same column.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// How the input's columns map to the model's features.
#[derive(Clone, Debug, Serialize)]
pub struct Columns {
    /// The input header, as read.
    pub header: Vec<String>,
    /// For each feature (schema order), the input column that holds it.
    pub column_of_feature: Vec<usize>,
    /// Input columns that are not features; they are copied to the output unchanged.
    pub ignored: Vec<String>,
}

/// The names a feature's column may have, normalized: its name, its source column and its label in
/// every language.
fn wanted_names(f: &crate::schema::Feature) -> Vec<String> {
    [Some(f.name.as_str()), f.source_column.as_deref()]
        .into_iter()
        .flatten()
        .chain(f.label.values().map(String::as_str))
        .map(normalize)
        .filter(|n| !n.is_empty())
        .collect()
}

/// Maps a header to the schema: each feature by its exact name, else by its name, source column or
/// label (any language) ignoring case, spaces, `_`, `-` and `.`. Refuses a header that lacks a
/// feature or names one twice, exactly or once those are ignored (`duration_months` and
/// `DURATION MONTHS`), and a column whose name fits two features.
pub fn map_header(schema: &Schema, header: &[String]) -> Result<Columns> {
    let mut column_of_feature: Vec<Option<usize>> = vec![None; schema.features.len()];
    let mut used = vec![false; header.len()];
    let exact_names: Vec<&str> = schema.features.iter().map(|f| f.name.as_str()).collect();
    let wanted_of: Vec<Vec<String>> = schema.features.iter().map(wanted_names).collect();
    // Exact names first, so a normalized match never steals an exact one.
    for exact in [true, false] {
        if !exact {
            refuse_columns_fitting_two_features(
                schema,
                header,
                &used,
                &column_of_feature,
                &wanted_of,
            )?;
        }
        for ((f, slot), wanted) in schema
            .features
            .iter()
            .zip(column_of_feature.iter_mut())
            .zip(&wanted_of)
        {
            if slot.is_some() {
                continue;
            }
            let matches = |h: &String| {
                if exact {
                    h.trim() == f.name
                } else {
                    wanted.contains(&normalize(h))
                }
            };
            let hits: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(i, h)| !used.get(*i).copied().unwrap_or(true) && matches(h))
                .map(|(i, _)| i)
                .collect();
            // An exact match is ambiguous too when another column folds to the same name.
            let hits: Vec<usize> = if exact && !hits.is_empty() {
                header
                    .iter()
                    .enumerate()
                    .filter(|(i, h)| {
                        hits.contains(i)
                            || (!used.get(*i).copied().unwrap_or(true)
                                && !exact_names.contains(&h.trim())
                                && wanted.contains(&normalize(h)))
                    })
                    .map(|(i, _)| i)
                    .collect()
            } else {
                hits
            };
            match hits.as_slice() {
                [] => {}
                [one] => {
                    *slot = Some(*one);
                    if let Some(u) = used.get_mut(*one) {
                        *u = true;
                    }
                }
                many => {
                    let names: Vec<String> = many
                        .iter()
                        .filter_map(|&i| header.get(i))
                        .map(|h| format!("`{h}`"))
                        .collect();
                    return Err(csv_error(format!(
                        "columns {} all match feature `{}`; keep one",
                        names.join(", "),
                        f.name
                    )));
                }
            }
        }
    }
    let ignored: Vec<String> = header
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(h, _)| h.clone())
        .collect();
    let missing: Vec<&str> = schema
        .features
        .iter()
        .zip(&column_of_feature)
        .filter(|(_, c)| c.is_none())
        .map(|(f, _)| f.name.as_str())
        .collect();
    if !missing.is_empty() {
        let quote = |v: &[&str]| {
            v.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let extra: Vec<&str> = ignored.iter().map(String::as_str).collect();
        let extra_text = if extra.is_empty() {
            "there are no other columns".to_string()
        } else {
            format!("columns the model does not use: {}", quote(&extra))
        };
        return Err(csv_error(format!(
            "the CSV header lacks {} of the model's columns: missing {}; {extra_text}. \
             The first line must name every feature ({}); names match ignoring case and spaces, and \
             so do their source columns and labels (docs/SCHEMA.md)",
            missing.len(),
            quote(&missing),
            schema.feature_list()
        )));
    }
    Ok(Columns {
        header: header.to_vec(),
        column_of_feature: column_of_feature.into_iter().flatten().collect(),
        ignored,
    })
}

/// Refuses a column not yet mapped whose name fits two features still unmapped (a label of one
/// that is the name of another, say): which one it holds cannot be guessed.
fn refuse_columns_fitting_two_features(
    schema: &Schema,
    header: &[String],
    used: &[bool],
    column_of_feature: &[Option<usize>],
    wanted_of: &[Vec<String>],
) -> Result<()> {
    for (h, _) in header.iter().zip(used).filter(|(_, u)| !**u) {
        let name = normalize(h);
        let fits: Vec<&str> = schema
            .features
            .iter()
            .zip(column_of_feature)
            .zip(wanted_of)
            .filter(|((_, slot), wanted)| slot.is_none() && wanted.contains(&name))
            .map(|((f, _), _)| f.name.as_str())
            .collect();
        if let [first, second, ..] = fits.as_slice() {
            return Err(csv_error(format!(
                "column `{h}` fits both feature `{first}` and feature `{second}` (by name, source \
                 column or label); rename it to the feature's name"
            )));
        }
    }
    Ok(())
}
