//! OpenCC's official test cases (`dict/opencc/tests/testcases.json`, Apache-2.0 data kept with
//! the dictionaries): every case through the library and through the CLI (`--only convert --to
//! CONFIG`).

mod common;

use assert_cmd::Command;
use zhtidy::convert::{Config, Converter};

#[test]
fn all_cases_through_the_library() {
    let cases =
        common::opencc_cases().expect("dict/opencc/tests/testcases.json is in the repository");
    assert_eq!(
        cases.len(),
        543,
        "the 1.4.x test file has 543 (input, config) pairs"
    );
    let mut failures = Vec::new();
    for (id, input, config, expected) in &cases {
        let c: Config = config.parse().unwrap();
        let got = Converter::new(c).convert(input);
        if &got != expected {
            failures.push(format!(
                "{id} {config}: {input:?}\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn all_cases_through_the_cli() {
    let cases =
        common::opencc_cases().expect("dict/opencc/tests/testcases.json is in the repository");
    let mut failures = 0;
    for (id, input, config, expected) in &cases {
        let out = Command::cargo_bin("zhtidy")
            .unwrap()
            .args(["--only", "convert", "--to", config])
            .write_stdin(input.as_bytes())
            .output()
            .unwrap();
        assert!(out.status.success(), "{id} {config}: exit {:?}", out.status);
        if String::from_utf8_lossy(&out.stdout) != *expected {
            failures += 1;
            eprintln!(
                "{id} {config}: expected {expected:?}, got {:?}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    assert_eq!(
        failures,
        0,
        "{failures} of {} cases failed through the CLI",
        cases.len()
    );
    eprintln!("{} OpenCC cases passed through the CLI", cases.len());
}
