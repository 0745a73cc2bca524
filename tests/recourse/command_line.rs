//! `credit-scorer assess` with recourse options and a target band.

use credit_scorer::recourse;

use crate::common::{REFERENCE_MODEL, repo, test_split};
use crate::reference;

#[test]
fn assess_prints_the_options_and_takes_a_target_band() {
    use assert_cmd::Command;
    let scorer = reference();
    let schema = scorer.schema();
    let row = test_split()
        .into_iter()
        .find(|r| scorer.assess(r).unwrap().band.id == "E")
        .unwrap();
    let applicant: serde_json::Map<String, serde_json::Value> = schema
        .features
        .iter()
        .zip(&row)
        .map(|(f, &x)| (f.name.clone(), serde_json::json!(x)))
        .collect();
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("applicant.json");
    std::fs::write(&file, serde_json::Value::Object(applicant).to_string()).unwrap();
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = Command::cargo_bin("credit-scorer")
            .unwrap()
            .args(["assess", "-m"])
            .arg(repo(REFERENCE_MODEL))
            .args(extra)
            .arg(&file)
            .assert()
            .success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    for (extra, band) in [(&[][..], "C"), (&["--target-band", "D"][..], "D")] {
        let printed = run(extra);
        let want = recourse::search(&scorer, &row, Some(band)).unwrap();
        // Through the same JSON text (serde_json's parser may round a float's last bit).
        let want: serde_json::Value =
            serde_json::from_str(&serde_json::to_string_pretty(&want).unwrap()).unwrap();
        assert_eq!(printed["recourse"], want);
        assert_eq!(printed["recourse"]["target_band"], band);
        assert!(printed["pd"].is_number());
    }
    assert!(run(&["--no-recourse"]).get("recourse").is_none());
    Command::cargo_bin("credit-scorer")
        .unwrap()
        .args(["assess", "-m"])
        .arg(repo(REFERENCE_MODEL))
        .args(["--target-band", "Q"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicates::str::contains("no band `Q`"));
}
