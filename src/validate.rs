//! Turning raw applicant values (form strings, JSON, CSV cells) into a validated model row,
//! collecting every field error at once.

use serde::Serialize;

use crate::schema::{Category, Feature, FeatureKind, Schema};

/// What is wrong with a field; the page localizes by this code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorCode {
    /// No value given.
    Missing,
    /// The text is not a number.
    NotANumber,
    /// NaN or infinity.
    NotFinite,
    /// Outside the schema's range.
    OutOfRange,
    /// Not one of the allowed categories.
    UnknownCategory,
    /// The model has no such field.
    UnknownField,
}

/// One invalid field, with a message that says what is allowed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldError {
    /// The field's name (as in the schema, or as given when unknown).
    pub field: String,
    /// What is wrong, for code.
    pub code: FieldErrorCode,
    /// What is wrong and what is allowed, for people (English).
    pub message: String,
}

/// A raw value as it arrives from a form, a JSON object or a CSV cell.
#[derive(Clone, Copy, Debug)]
pub enum RawValue<'a> {
    /// Text as typed (trimmed before use; empty means missing).
    Text(&'a str),
    /// A number from JSON.
    Number(f64),
    /// JSON `null` or an absent cell.
    Missing,
}

impl<'a> From<&'a serde_json::Value> for RawValue<'a> {
    fn from(v: &'a serde_json::Value) -> Self {
        match v {
            serde_json::Value::Number(n) => n.as_f64().map_or(RawValue::Text(""), RawValue::Number),
            serde_json::Value::String(s) => RawValue::Text(s),
            serde_json::Value::Null => RawValue::Missing,
            // Booleans, arrays and objects are no feature value; report them as not a number.
            _ => RawValue::Text("[not a value]"),
        }
    }
}

fn label(f: &Feature) -> &str {
    f.label.get("en").map_or(f.name.as_str(), String::as_str)
}

fn format_number(v: f64) -> String {
    // Whole numbers print without a trailing `.0`, as people type them.
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Validates one field's raw value against its feature.
pub fn validate_value(feature: &Feature, raw: RawValue<'_>) -> Result<f32, FieldError> {
    let fail = |code, message: String| FieldError {
        field: feature.name.clone(),
        code,
        message,
    };
    let name = label(feature);
    match &feature.kind {
        FeatureKind::Numeric { min, max, unit, .. } => {
            let value = match raw {
                RawValue::Missing => {
                    return Err(fail(FieldErrorCode::Missing, format!("{name} is required")));
                }
                RawValue::Number(v) => v,
                RawValue::Text(t) => {
                    let t = t.trim();
                    if t.is_empty() {
                        return Err(fail(FieldErrorCode::Missing, format!("{name} is required")));
                    }
                    t.parse::<f64>().map_err(|_| {
                        fail(
                            FieldErrorCode::NotANumber,
                            format!("{name}: `{}` is not a number", truncate(t)),
                        )
                    })?
                }
            };
            if !value.is_finite() {
                return Err(fail(
                    FieldErrorCode::NotFinite,
                    format!("{name} must be a finite number"),
                ));
            }
            let unit = unit.get("en").map(|u| format!(" {u}")).unwrap_or_default();
            let below = min.is_some_and(|lo| value < lo);
            let above = max.is_some_and(|hi| value > hi);
            if below || above || value.abs() > f64::from(f32::MAX) {
                let range = match (min, max) {
                    (Some(lo), Some(hi)) => {
                        format!(
                            "between {} and {}{unit}",
                            format_number(*lo),
                            format_number(*hi)
                        )
                    }
                    (Some(lo), None) => format!("at least {}{unit}", format_number(*lo)),
                    (None, Some(hi)) => format!("at most {}{unit}", format_number(*hi)),
                    (None, None) => "within the range of a 32-bit float".to_string(),
                };
                return Err(fail(
                    FieldErrorCode::OutOfRange,
                    format!("{name} must be {range}; got {}", format_number(value)),
                ));
            }
            Ok(value as f32)
        }
        FeatureKind::Categorical { categories } => {
            let allowed = || {
                categories
                    .iter()
                    .map(|c| match c.label.get("en") {
                        Some(l) => format!("{} ({l})", c.code),
                        None => c.code.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let found = match raw {
                RawValue::Missing => None,
                RawValue::Number(v) => categories.iter().find(|c| c.code as f64 == v),
                RawValue::Text(t) => {
                    let t = t.trim();
                    if t.is_empty() {
                        None
                    } else {
                        let mut hits = categories.iter().filter(|c| category_fits(c, t));
                        let hit = hits.next();
                        if let (Some(first), Some(second)) = (hit, hits.next()) {
                            return Err(fail(
                                FieldErrorCode::UnknownCategory,
                                format!(
                                    "{name}: `{}` fits both {} and {}; write the code",
                                    truncate(t),
                                    describe_category(first),
                                    describe_category(second)
                                ),
                            ));
                        }
                        if hit.is_none() {
                            return Err(fail(
                                FieldErrorCode::UnknownCategory,
                                format!(
                                    "{name}: `{}` is not an allowed value; choose one of {}",
                                    truncate(t),
                                    allowed()
                                ),
                            ));
                        }
                        hit
                    }
                }
            };
            match (found, raw) {
                (Some(c), _) => Ok(c.code as f32),
                (None, RawValue::Number(v)) => Err(fail(
                    FieldErrorCode::UnknownCategory,
                    format!(
                        "{name}: {} is not an allowed value; choose one of {}",
                        format_number(v),
                        allowed()
                    ),
                )),
                (None, _) => Err(fail(
                    FieldErrorCode::Missing,
                    format!("{name} is required; choose one of {}", allowed()),
                )),
            }
        }
    }
}

/// How a file writes the decimal separator of numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Decimal {
    /// `1804.5`
    #[default]
    Point,
    /// `1804,5` (the file's columns are then separated by something else than `,`)
    Comma,
}

/// [`validate_value`] for a cell of text whose numbers are written with `decimal`: with
/// [`Decimal::Comma`] a numeric feature's `1804,5` is 1804.5, and a point in it is refused (it
/// could be a thousands separator).
pub fn validate_cell(feature: &Feature, text: &str, decimal: Decimal) -> Result<f32, FieldError> {
    if decimal == Decimal::Comma && matches!(feature.kind, FeatureKind::Numeric { .. }) {
        let t = text.trim();
        if t.contains('.') {
            return Err(FieldError {
                field: feature.name.clone(),
                code: FieldErrorCode::NotANumber,
                message: format!(
                    "{}: `{}` has a point, but this file's numbers have a decimal comma; write \
                     the number without thousands separators, as in 1234,5",
                    label(feature),
                    truncate(t)
                ),
            });
        }
        if t.contains(',') {
            return validate_value(feature, RawValue::Text(&t.replacen(',', ".", 1)));
        }
    }
    validate_value(feature, RawValue::Text(text))
}

/// Whether trimmed, non-empty text `t` names category `c`: its code as a number, or its data
/// value or a label in any language, trimmed and ignoring case.
fn category_fits(c: &Category, t: &str) -> bool {
    let same = |s: &str| {
        let s = s.trim();
        s == t
            || s.eq_ignore_ascii_case(t)
            || (!s.is_ascii() && s.to_lowercase() == t.to_lowercase())
    };
    t.parse::<f64>().ok() == Some(c.code as f64)
        || c.value.as_deref().is_some_and(same)
        || c.label.values().any(|l| same(l))
}

/// A category for messages: its code and English label.
fn describe_category(c: &Category) -> String {
    match c.label.get("en") {
        Some(l) => format!("{} ({l})", c.code),
        None => c.code.to_string(),
    }
}

/// The fast path for CSV cells, prepared once per schema: [`CellValidator::check`] gives
/// `Some(v)` only when [`validate_value`] would accept the cell as text with the same value `v`.
/// `None` when the cell is not a plain decimal number (spaces, exponents, category names,
/// non-UTF-8 …) or is invalid: ask [`validate_value`] for the verdict and its message then.
/// Builds no string for a valid row.
#[derive(Clone, Debug)]
pub struct CellValidator {
    features: Vec<CellCheck>,
    /// The decimal separator of numbers: `.`, or `,` with [`Decimal::Comma`].
    point: u8,
}

#[derive(Clone, Debug)]
enum CellCheck {
    Numeric {
        min: Option<f64>,
        max: Option<f64>,
    },
    /// A category's data value or label that is itself a plain number could match a cell by
    /// text (or two categories at once), so such features take `validate_value`'s path.
    CategoricalByText,
    /// No data value looks like a plain number: a plain number can only match a code.
    /// Each code as the cell's number compares to it, and as the model gets it; and, when every
    /// code is a small non-negative integer, the same indexed by code.
    CategoricalByCode {
        codes: Vec<(f64, f32)>,
        by_index: Vec<Option<f32>>,
    },
}

impl CellValidator {
    /// The checks for `schema`'s features, in schema order, for numbers written with `decimal`.
    pub fn new(schema: &Schema, decimal: Decimal) -> CellValidator {
        let features = schema
            .features
            .iter()
            .map(|f| match &f.kind {
                FeatureKind::Numeric { min, max, .. } => CellCheck::Numeric {
                    min: *min,
                    max: *max,
                },
                FeatureKind::Categorical { categories } => {
                    let by_text = categories.iter().any(|c| {
                        c.value
                            .iter()
                            .chain(c.label.values())
                            .any(|v| parse_plain_decimal(v.trim().as_bytes(), b'.').is_some())
                    });
                    if by_text {
                        CellCheck::CategoricalByText
                    } else {
                        let mut by_index = Vec::new();
                        if categories.iter().all(|c| (0..256).contains(&c.code)) {
                            for c in categories {
                                let i = c.code.unsigned_abs() as usize;
                                if by_index.len() <= i {
                                    by_index.resize(i + 1, None);
                                }
                                if let Some(slot) = by_index.get_mut(i) {
                                    *slot = Some(c.code as f32);
                                }
                            }
                        }
                        CellCheck::CategoricalByCode {
                            codes: categories
                                .iter()
                                .map(|c| (c.code as f64, c.code as f32))
                                .collect(),
                            by_index,
                        }
                    }
                }
            })
            .collect();
        CellValidator {
            features,
            point: match decimal {
                Decimal::Point => b'.',
                Decimal::Comma => b',',
            },
        }
    }

    /// Feature `feature`'s (schema index) value for `cell`, when it is a valid plain number.
    pub fn check(&self, feature: usize, cell: &[u8]) -> Option<f32> {
        let Plain { value, whole } = parse_plain_decimal(cell, self.point)?;
        match self.features.get(feature)? {
            CellCheck::Numeric { min, max } => {
                let below = min.is_some_and(|lo| value < lo);
                let above = max.is_some_and(|hi| value > hi);
                if below || above || value.abs() > f64::from(f32::MAX) {
                    return None;
                }
                Some(value as f32)
            }
            // A decimal comma is for numeric features: `validate_cell` reads `3,0` as no code.
            CellCheck::CategoricalByCode { .. } if self.point != b'.' && whole.is_none() => None,
            // Codes are unique, so the first match is the only one.
            CellCheck::CategoricalByCode { codes, by_index } => match whole {
                Some(i) if !by_index.is_empty() => usize::try_from(i)
                    .ok()
                    .and_then(|i| by_index.get(i).copied().flatten()),
                _ => codes
                    .iter()
                    .find(|(code, _)| value == *code)
                    .map(|&(_, model)| model),
            },
            CellCheck::CategoricalByText => None,
        }
    }
}

/// Exact powers of ten (every one below 2^53 · 2^22 is exact in an f64).
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A plain decimal number read from a cell.
struct Plain {
    value: f64,
    /// The digits, when there is neither a sign nor a decimal point.
    whole: Option<u64>,
}

/// `-?[0-9]+(.[0-9]+)?` (`point` for `.`) with at most 15 digits, as `str::parse::<f64>` reads it: the digits
/// form an integer below 2^53 and the divisor is an exact power of ten, so the one rounding of
/// the division is the correctly rounded decimal, which is what `parse` returns. Anything else is
/// `None` (left to `parse`).
fn parse_plain_decimal(cell: &[u8], point_byte: u8) -> Option<Plain> {
    let (negative, digits) = match cell.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, cell),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut point: Option<usize> = None;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
            }
            b if b == point_byte && point.is_none() => point = Some(count),
            _ => return None,
        }
    }
    if count > 15 {
        return None;
    }
    let value = match point {
        None => mantissa as f64,
        // At least one digit on each side of the point.
        Some(at) if at == 0 || at == count => return None,
        Some(at) => mantissa as f64 / POWERS_OF_TEN.get(count - at).copied()?,
    };
    Some(if negative {
        Plain {
            value: -value,
            whole: None,
        }
    } else {
        Plain {
            value,
            whole: point.is_none().then_some(mantissa),
        }
    })
}

/// Keeps echoed user text short in messages.
fn truncate(t: &str) -> String {
    let mut chars = t.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Validates named values against the schema: every feature must be given once, no unknown
/// names. Returns the row in column order, or every error found.
pub fn validate_fields<'a>(
    schema: &Schema,
    fields: impl IntoIterator<Item = (&'a str, RawValue<'a>)>,
) -> Result<Vec<f32>, Vec<FieldError>> {
    let mut given: Vec<Option<RawValue<'a>>> = vec![None; schema.features.len()];
    let mut errors = Vec::new();
    for (name, raw) in fields {
        match schema.feature_index(name).and_then(|i| given.get_mut(i)) {
            Some(slot) => *slot = Some(raw),
            None => errors.push(FieldError {
                field: name.to_string(),
                code: FieldErrorCode::UnknownField,
                message: format!(
                    "`{}` is not a field of this model; its fields are {}",
                    truncate(name),
                    schema.feature_list()
                ),
            }),
        }
    }
    let mut row = Vec::with_capacity(schema.features.len());
    for (feature, raw) in schema.features.iter().zip(given) {
        match validate_value(feature, raw.unwrap_or(RawValue::Missing)) {
            Ok(v) => row.push(v),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(row)
    } else {
        Err(errors)
    }
}

/// Validates a JSON object of `{ field: value }`.
pub fn validate_json(
    schema: &Schema,
    value: &serde_json::Value,
) -> Result<Vec<f32>, Vec<FieldError>> {
    match value {
        serde_json::Value::Object(map) => validate_fields(
            schema,
            map.iter().map(|(k, v)| (k.as_str(), RawValue::from(v))),
        ),
        _ => Err(vec![FieldError {
            field: String::new(),
            code: FieldErrorCode::UnknownField,
            message: "expected an object of { field: value } pairs".to_string(),
        }]),
    }
}
