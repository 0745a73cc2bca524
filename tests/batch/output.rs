//! The output file: many rows as one by one, the writer's exact bytes, one band on a cut-off.

use std::io::Write;

use credit_scorer::Scorer;
use credit_scorer::batch::{BatchJob, BatchOptions};

use crate::common::*;
use crate::{assert_accounting, awkward, column, generated, records, score_with, scorer};

#[test]
fn many_rows_score_as_one_by_one_and_refusals_are_exact() {
    let n = 5000;
    let bytes = generated(n);
    let (out, s) = score_with(&bytes, 65_536, BatchOptions::default()).unwrap();
    assert_accounting(&s);
    let refused = (0..n).filter(|i| i % 97 == 13).count() as u64;
    assert_eq!((s.rows_in, s.refused), (n as u64, refused));
    assert_eq!(s.blank_lines, (n / 1000) as u64);
    let rows = records(&out);
    assert_eq!(rows.len(), n + 1);
    let golden = reference_golden();
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[0], format!("r{i}"), "input order kept");
        if i % 97 == 13 {
            assert!(row[11].is_empty() && !row[18].is_empty());
        } else {
            let g = &golden.rows[i % golden.rows.len()];
            let pd: f64 = row[11].parse().unwrap();
            assert!((pd - g.pd).abs() < 1e-6, "row {i}");
        }
    }
}

#[test]
fn output_bytes_are_what_the_csv_writer_and_the_standard_formatter_write() {
    let bytes = awkward(3000);
    let (out, s) = score_with(&bytes, 4096, BatchOptions::default()).unwrap();
    assert_accounting(&s);
    assert_eq!(s.refused, (0..3000).filter(|i| i % 11 == 8).count() as u64);
    // Read back and written again by the csv crate: the same bytes (quoting, U+FFFD, line ends).
    let rows = records(&out);
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for row in &rows {
        w.write_record(row).unwrap();
    }
    assert_eq!(
        String::from_utf8(w.into_inner().unwrap()).unwrap(),
        String::from_utf8(out).unwrap()
    );
    assert!(rows.iter().any(|r| r[0] == "say \"hi\""));
    assert!(rows.iter().any(|r| r[0] == "M\u{fffd}ller"));
    // pd as `{}` of the f32 probability, points as `{:.1}`: what the standard formatter writes.
    let sc = scorer();
    let golden = reference_golden();
    let no_checking_account = credit_scorer::validate::validate_value(
        &sc.schema().features[0],
        credit_scorer::RawValue::Text("no checking account"),
    )
    .unwrap();
    for (i, row) in rows[1..].iter().enumerate() {
        if i % 11 == 8 {
            assert!(row[12].is_empty() && row[19].contains("n/a"), "{row:?}");
            continue;
        }
        assert_eq!(row[11], format!("r{i}"));
        let mut x = golden.rows[i % golden.rows.len()].x.clone();
        if i % 11 == 7 {
            x[0] = no_checking_account;
        }
        let p = sc.predict(&x).unwrap()[0];
        let (points, band) = sc.points_and_band(&p);
        assert_eq!(row[12], format!("{}", p.pd as f32), "row {i}");
        assert_eq!(row[13], format!("{points:.1}"), "row {i}");
        assert_eq!(row[14], band.id, "row {i}");
        assert_eq!(row[19], "", "row {i}");
    }
}

#[test]
fn an_applicant_on_a_band_cut_off_gets_one_band_from_assess_and_the_batch_in_every_engine() {
    // pd = sigmoid(x): an applicant is placed on a PD by its log-odds. The reference model's
    // cut-offs (the generic schema has the same bands) and PDs within 1e-6 either side, where
    // the engines (up to 1e-5 apart) could otherwise disagree.
    let cut_offs = [0.05, 0.10, 0.20, 0.35];
    let ln_odds = |p: f64| (p / (1.0 - p)).ln();
    // The reference rows cover the model: the baseline 0 and ±10 (ReferenceScores::uncovered).
    let probe: Vec<Vec<f32>> = [-10.0f32, -3.0, -1.0, 0.0, 2.0, 10.0]
        .iter()
        .map(|&x| vec![x])
        .collect();
    let probe_pds: Vec<f64> = probe
        .iter()
        .map(|x| 1.0 / (1.0 + (-f64::from(x[0])).exp()))
        .collect();
    let bytes = with_reference_pds(
        &linear_onnx(&[1.0], 0.0),
        "the sigmoid of x in f64 (tests/batch.rs)",
        &probe,
        &probe_pds,
    );
    let mut scorers = vec![Scorer::from_bytes(&bytes).unwrap()];
    if cfg!(feature = "tract") {
        let options = credit_scorer::LoadOptions {
            direct: false,
            ..Default::default()
        };
        scorers.push(Scorer::from_bytes_with(&bytes, &options).unwrap());
    }
    for s in &scorers {
        let bands = &s.schema().bands;
        let mut csv = b"x0\n".to_vec();
        let mut want = Vec::new();
        for &cut in &cut_offs {
            let band = &bands.iter().find(|b| b.max_pd == cut).unwrap().id;
            for delta in [0.0, 1e-6, -1e-6, 5e-7, -5e-7] {
                let x = ln_odds(cut + delta) as f32;
                let a = s.assess(&[x]).unwrap();
                assert!(close(a.pd, cut, 2e-6), "{}", a.pd);
                assert_eq!(&a.band.id, band, "assess, pd {} next to {cut}", a.pd);
                writeln!(csv, "{x}").unwrap();
                want.push(band.clone());
            }
        }
        let mut job = BatchJob::new(s.clone(), BatchOptions::default());
        let mut out = job.push(&csv).unwrap();
        out.extend(job.finish().unwrap());
        let rows = records(&out);
        let pds = column(&rows, "pd");
        for ((got, want), pd) in column(&rows, "band").iter().zip(&want).zip(&pds) {
            assert_eq!(got, want, "batch, pd {pd}");
        }
    }
}
