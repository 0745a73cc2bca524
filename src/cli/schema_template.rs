//! `credit-scorer schema-template`: a starter schema for a model, from what its graph says (the
//! number of inputs, the outputs, the values where the score can change), with a `TODO:`
//! placeholder wherever only the bank knows the answer. The loader refuses the schema until every
//! placeholder is replaced (`schema::placeholders`).

use std::path::Path;

use credit_scorer::schema::{Band, PLACEHOLDER, Scaling, Schema};
use credit_scorer::{Error, ErrorKind, Localized};
use serde::Serialize;

use super::Outcome;

/// The starter schema, in the order docs/SCHEMA.md lists the fields.
#[derive(Serialize)]
struct Template {
    schema_version: u32,
    model: TemplateModel,
    output: TemplateOutput,
    features: Vec<TemplateFeature>,
    scaling: Scaling,
    bands: Vec<Band>,
    model_card: serde_json::Value,
}

#[derive(Serialize)]
struct TemplateModel {
    name: String,
    version: String,
}

#[derive(Serialize)]
struct TemplateOutput {
    pd: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    logit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_class: Option<String>,
}

#[derive(Serialize)]
struct TemplateFeature {
    name: String,
    label: Localized,
    reason: Localized,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    baseline: String,
    /// What to check about the range; the bank deletes it (`embed-schema` refuses unknown fields).
    range_todo: String,
}

fn todo(what: String) -> String {
    format!("{PLACEHOLDER} {what}")
}

fn english(text: String) -> Localized {
    [("en".to_string(), text)].into()
}

/// An f32 threshold as the f64 the schema holds: the shortest decimal that reads back as the same
/// f32 (0.1, not 0.10000000149011612), so the range compares to it exactly as float32.
fn widened(value: f32) -> Result<f64, Error> {
    value.to_string().parse().map_err(|e| {
        Error::new(
            ErrorKind::ModelInvalid,
            format!("a split threshold {value} is not a number ({e}); export the model again"),
        )
    })
}

/// The starter schema for the model `bytes`.
fn template(bytes: &[u8]) -> Result<Template, Error> {
    let outline = credit_scorer::model::outline(bytes)?;
    let generic = Schema::generic(outline.k);
    let features = generic
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = &f.name;
            let points = outline.split_points.as_ref().map(|p| p.get(i));
            let (min, max, range_todo) = match points {
                Some(Some(points)) => match (points.first(), points.last()) {
                    (Some(&lo), Some(&hi)) => (
                        Some(widened(lo)?),
                        Some(widened(hi)?),
                        todo(format!(
                            "min and max are the lowest and highest of the model's {} split thresholds on `{name}`; it scores all values below min alike, and all values above max alike. Widen them to the values applicants really have (the form and batch files refuse values outside), make the feature categorical if its values are codes (docs/SCHEMA.md), then delete this line",
                            points.len()
                        )),
                    ),
                    _ => (
                        None,
                        None,
                        todo(format!(
                            "the model never compares `{name}`: its value does not change the score. Give the min and max applicants may have (or none: unbounded), then delete this line"
                        )),
                    ),
                },
                _ => (
                    None,
                    None,
                    todo(format!(
                        "the model's score can change at any value of `{name}`. Give the min and max applicants may have (or none: unbounded), make the feature categorical if its values are codes (docs/SCHEMA.md), then delete this line"
                    )),
                ),
            };
            Ok(TemplateFeature {
                name: name.clone(),
                label: english(todo(format!(
                    "what input {i} (`{name}`) is, as the form shows it; add \"zh\" for the Chinese page"
                ))),
                reason: english(todo(format!(
                    "the reason text when `{name}` costs the applicant points, as adverse-action notices print it; add \"zh\""
                ))),
                kind: "numeric",
                min,
                max,
                baseline: todo(format!(
                    "the most favourable value of `{name}`, a number within min and max; explanations are measured from it"
                )),
                range_todo,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Template {
        schema_version: generic.schema_version,
        model: TemplateModel {
            name: todo("the model's name, shown on the page and in decision records".into()),
            version: todo("its version".into()),
        },
        output: TemplateOutput {
            pd: outline.pd_name,
            logit: outline.logit_name,
            default_class: outline.classes_to_choose.map(|labels| {
                let listed: Vec<String> = labels.iter().map(ToString::to_string).collect();
                todo(format!(
                    "which of the model's classes {} is default (its probability is the PD); write that label as it is listed, e.g. {}",
                    listed.join(", "),
                    listed.first().map_or("", String::as_str)
                ))
            }),
        },
        features,
        scaling: generic.scaling,
        bands: generic.bands,
        model_card: serde_json::json!({}),
    })
}

/// `credit-scorer schema-template`: the starter schema of the model `bytes` (read from `model`),
/// written atomically to `output` (`-`: stdout).
pub(super) fn run(
    bytes: &[u8],
    model: &Path,
    output: &Path,
    force: bool,
) -> Result<Outcome, Error> {
    let template = template(bytes)?;
    let mut text = serde_json::to_string_pretty(&template)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write JSON: {e}")))?;
    text.push('\n');
    if output == Path::new("-") {
        print!("{text}");
        return Ok(Outcome::Done);
    }
    super::output::AtomicFile::create(output, &[model], false, force)?
        .write_and_commit(text.as_bytes())?;
    eprintln!(
        "wrote {}: a starter schema for {} inputs; replace every `{PLACEHOLDER}` text, then `credit-scorer embed-schema`",
        output.display(),
        template.features.len()
    );
    Ok(Outcome::Done)
}
