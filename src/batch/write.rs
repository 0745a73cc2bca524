//! Writing output: CSV fields quoted as the `csv` crate quotes them, and numbers formatted as
//! `{}` (PD) and `{:.1}` (points) format them, without the formatting machinery per row.

use super::read::RawRecord;
use super::{BatchOptions, Chunk, Columns, OUTPUT_COLUMNS, csv_error};
use crate::error::{Error, Result};
use crate::schema::Schema;

/// The output header: the input's columns, then [`OUTPUT_COLUMNS`].
pub fn output_header(columns: &Columns) -> Result<Vec<u8>> {
    header_line(
        columns
            .header
            .iter()
            .map(String::as_str)
            .chain(OUTPUT_COLUMNS),
    )
}

/// The output header for `options`: the input's columns, then [`output_columns`].
pub fn output_header_with(
    columns: &Columns,
    schema: &Schema,
    options: &BatchOptions,
) -> Result<Vec<u8>> {
    let outputs = output_columns(schema, options);
    header_line(columns.header.iter().chain(&outputs).map(String::as_str))
}

/// The columns appended to each input row for `options`: [`OUTPUT_COLUMNS`], then with
/// [`BatchOptions::contributions`] one `contribution_<feature>` column per feature of `schema`.
pub fn output_columns(schema: &Schema, options: &BatchOptions) -> Vec<String> {
    let contributions = schema.features.iter().filter(|_| options.contributions);
    OUTPUT_COLUMNS
        .iter()
        .map(|h| h.to_string())
        .chain(contributions.map(|f| format!("contribution_{}", f.name)))
        .collect()
}

fn header_line<'a>(names: impl Iterator<Item = &'a str>) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for h in names {
        w.write_field(h).map_err(write_error)?;
    }
    w.write_record(std::iter::empty::<&[u8]>())
        .map_err(write_error)?;
    w.into_inner()
        .map_err(|e| csv_error(format!("cannot write the output: {e}")))
}

fn write_error(e: csv::Error) -> Error {
    csv_error(format!("cannot write the output: {e}"))
}

/// Whether the `csv` writer (`QuoteStyle::Necessary`) would quote a field with this byte.
fn needs_quotes(b: u8) -> bool {
    matches!(b, b',' | b'"' | b'\r' | b'\n')
}

/// One field as the `csv` writer writes it: quoted, with quotes doubled, when it holds a
/// delimiter, a quote or a line break.
pub(super) fn write_field(out: &mut Vec<u8>, field: &[u8]) {
    if !field.iter().any(|&b| needs_quotes(b)) {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// The record's first `width` fields, each followed by a comma, padded with empty ones; bytes
/// that are not UTF-8 become U+FFFD, as the output is UTF-8.
pub(super) fn write_input_cells(out: &mut Vec<u8>, chunk: &Chunk, r: &RawRecord, width: usize) {
    // Most records are plain ASCII without quotes: one scan decides for all their fields.
    let plain = chunk
        .record_bytes(r)
        .iter()
        .all(|&b| b.is_ascii() && !needs_quotes(b));
    let mut n = 0;
    for cell in chunk.fields(r).take(width) {
        if plain {
            out.extend_from_slice(cell);
        } else if std::str::from_utf8(cell).is_ok() {
            write_field(out, cell);
        } else {
            write_field(out, String::from_utf8_lossy(cell).as_bytes());
        }
        out.push(b',');
        n += 1;
    }
    for _ in n..width {
        out.push(b',');
    }
}

/// `{}` of an f32 (shortest digits that read back the same, no exponent), into `out`.
pub(super) fn write_f32(out: &mut Vec<u8>, v: f32) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{v}");
}

/// `{}` of an f64 (shortest digits that read back the same), into `out`.
pub(super) fn write_f64(out: &mut Vec<u8>, v: f64) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{v}");
}

/// The number the CSV's `points` column holds for `points`: `{:.1}` of it ([`write_one_decimal`]'s
/// text) read back as an f64. `None` only if that text did not parse, which would be a bug.
pub fn one_decimal_value(points: f64) -> Option<f64> {
    let mut text = Vec::with_capacity(24);
    write_one_decimal(&mut text, points);
    std::str::from_utf8(&text).ok()?.parse().ok()
}

/// `{:.1}` of an f64, into `out`: ten times the exact binary value, rounded half to even, as the
/// standard formatter does, without its machinery. Very large or tiny values take the formatter.
pub(super) fn write_one_decimal(out: &mut Vec<u8>, v: f64) {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    // v = ±mantissa · 2^exponent exactly.
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    if !v.is_finite() || v.abs() >= 1e15 || exponent < -100 {
        use std::io::Write;
        let _ = write!(out, "{v:.1}");
        return;
    }
    let tenths: u128 = if exponent >= 0 {
        (u128::from(mantissa) << exponent) * 10
    } else {
        let shift = exponent.unsigned_abs();
        let scaled = u128::from(mantissa) * 10;
        let whole = scaled >> shift;
        let rest = scaled & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = rest > half || (rest == half && whole & 1 == 1);
        whole + u128::from(up)
    };
    if v.is_sign_negative() {
        out.push(b'-');
    }
    // Below 10^16 as |v| < 10^15: u64 digits are much cheaper than u128 ones.
    let mut rest = u64::try_from(tenths).unwrap_or(u64::MAX);
    let mut digits = [0u8; 24];
    let mut at = digits.len();
    let mut written = 0;
    // At least "0.0": two digits.
    while written < 2 || rest > 0 {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        written += 1;
    }
    let text = digits.get(at..).unwrap_or(&[]);
    let (int, last) = text.split_at(text.len().saturating_sub(1));
    out.extend_from_slice(int);
    out.push(b'.');
    out.extend_from_slice(last);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::SplitMix64;

    fn one_decimal(v: f64) -> String {
        let mut out = Vec::new();
        write_one_decimal(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_decimal_value_is_the_printed_text_read_back() {
        for v in [
            0.0,
            -0.0,
            0.05,
            0.15,
            299.95,
            512.3456,
            -17.25,
            1e15,
            f64::MAX,
        ] {
            let printed: f64 = format!("{v:.1}").parse().unwrap();
            assert_eq!(
                one_decimal_value(v).map(f64::to_bits),
                Some(printed.to_bits()),
                "{v}"
            );
        }
        assert!(one_decimal_value(f64::NAN).is_some_and(f64::is_nan));
        assert_eq!(one_decimal_value(f64::INFINITY), Some(f64::INFINITY));
    }

    #[test]
    fn one_decimal_is_the_standard_formatter() {
        let check = |v: f64| assert_eq!(one_decimal(v), format!("{v:.1}"), "{v:e}");
        // Exact ties round half to even; their neighbours round by the exact binary value.
        for n in -40_000..40_000 {
            let v = f64::from(n) / 20.0;
            for w in [v, v.next_up(), v.next_down()] {
                check(w);
            }
        }
        for v in [
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            1e-100,
            0.05,
            0.15,
            0.25,
            299.95,
            300.0,
            850.0,
            849.95,
            1e15,
            -1e15,
            999_999_999_999_999.9,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            check(v);
        }
        let mut rng = SplitMix64(0x1D_EC1A);
        for _ in 0..200_000 {
            check(f64::from_bits(rng.next_u64()));
            check((rng.unit() - 0.5) * 2000.0);
            check(rng.unit() * 1e16);
        }
    }
}
