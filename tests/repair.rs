//! The repair stage: the case table (samples/cases/repair.json), golden seeds, clean text left
//! byte-for-byte alone, idempotence and arbitrary input.

mod common;

use proptest::prelude::*;
use zhtidy::Pipeline;

fn repair(text: &str) -> String {
    Pipeline::builder()
        .only(&["repair"])
        .unwrap()
        .build()
        .unwrap()
        .run_str(text)
        .unwrap()
        .0
}

#[test]
fn case_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/cases/repair.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut failures = Vec::new();
    for case in v["cases"].as_array().unwrap() {
        let label = case["label"].as_str().unwrap();
        let input = case["input"].as_str().unwrap();
        let expected = case["expected"].as_str().unwrap();
        let known = case["known_failure"].as_bool().unwrap_or(false);
        let got = repair(input);
        match (got == expected, known) {
            (true, false) | (false, true) => {}
            (false, false) => failures.push(format!(
                "{label}: {input:?}\n  expected {expected:?}\n  got      {got:?}"
            )),
            (true, true) => failures.push(format!(
                "{label}: known failure now passes: move it to the cases"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/repair");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".expected.txt") {
            continue;
        }
        let expected =
            std::fs::read_to_string(dir.join(name.replace(".txt", ".expected.txt"))).unwrap();
        let got = repair(&std::fs::read_to_string(&path).unwrap());
        if std::env::var_os("ZHTIDY_BLESS").is_some() {
            std::fs::write(dir.join(name.replace(".txt", ".expected.txt")), &got).unwrap();
        } else {
            assert!(
                got == expected,
                "{name}: output differs from the golden file"
            );
        }
        // Every annotation is gone and the frame shift repaired.
        assert!(
            !got.contains("(yè)") && !got.contains('?') && !got.contains('▍'),
            "{name}"
        );
        n += 1;
    }
    assert_eq!(n, 2);
}

#[test]
fn clean_text_is_left_byte_for_byte_alone() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = vec![
        std::fs::read_to_string(root.join("samples/convert/news-simplified.txt")).unwrap(),
        std::fs::read_to_string(root.join("samples/convert/news-traditional-tw.txt")).unwrap(),
    ];
    // manpages-zh (about 6 MB a script), and text people translated into each script (about 4 MB
    // more: LibreOffice help and catalogs, Firefox and Thunderbird strings, Debian guides).
    for name in ["zh_CN.txt", "zh_TW.txt", "more-zh_CN.txt", "more-zh_TW.txt"] {
        match std::fs::read_to_string(root.join(".cache/corpus").join(name)) {
            Ok(t) => texts.push(t),
            Err(_) => eprintln!("SKIPPED corpus {name}: run scripts/fetch-corpus.sh (CI does)"),
        }
    }
    for t in &texts {
        let got = repair(t);
        // The one change allowed: compatibility ideographs (LibreOffice's numbering lists write
        // `六` as U+F9D1) become the unified ones they are canonically equivalent to, the
        // documented `compat_ideograph` fix. Nothing else may differ.
        let t = &t
            .chars()
            .map(|c| zhtidy::convert::compat_ideograph(c).unwrap_or(c))
            .collect::<String>();
        if got != *t {
            let line = t
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "clean text changed at line {}: {:?}",
                line + 1,
                t.lines().nth(line)
            );
        }
    }
}

#[test]
fn repair_is_idempotent_on_the_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/repair");
    for name in ["001-garbled-traditional.txt", "003-garbled-traditional.txt"] {
        let once = repair(&std::fs::read_to_string(dir.join(name)).unwrap());
        assert_eq!(repair(&once), once, "{name}");
    }
}

#[test]
fn report_lists_repairs_with_positions() {
    let (_, report) = Pipeline::builder()
        .only(&["repair"])
        .unwrap()
        .build()
        .unwrap()
        .run_str("第一行\n快遞業(yè)務")
        .unwrap();
    let d = &report.stages[0].detail;
    assert_eq!(d["fixes"]["pinyin_annotation"], 1);
    assert_eq!(d["repairs"][0]["line"], 2);
    assert_eq!(d["repairs"][0]["column"], 4);
    assert_eq!(d["repairs"][0]["before"], "(yè)");
}

#[test]
fn fixes_can_be_switched_off() {
    let out = Pipeline::builder()
        .only(&["repair"])
        .unwrap()
        .no_fix(&["pinyin_annotation"])
        .build()
        .unwrap()
        .run_str("業(yè)務")
        .unwrap()
        .0;
    assert_eq!(out, "業(yè)務");
    assert!(Pipeline::builder().no_fix(&["nonsense"]).build().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_text_never_panics_and_repair_is_idempotent(
        s in "[a-z(),;:?!&#0-9 業務區長省各變為“長久（）。、\u{F900}烫锟斤拷\n]{0,60}"
    ) {
        let once = repair(&s);
        prop_assert!(once.len() <= s.len() * 2 + 8);
        prop_assert_eq!(repair(&once), once.clone());
    }

    #[test]
    fn chunking_does_not_change_repairs(cut in 0usize..3000) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/repair");
        let text = std::fs::read_to_string(dir.join("001-garbled-traditional.txt")).unwrap();
        let mut cut = cut.min(text.len());
        while !text.is_char_boundary(cut) { cut -= 1; }
        let mut p = Pipeline::builder().only(&["repair"]).unwrap().build().unwrap();
        let mut out = String::new();
        p.push_text(&text[..cut], &mut out, false).unwrap();
        p.push_text(&text[cut..], &mut out, true).unwrap();
        prop_assert_eq!(out, repair(&text));
    }
}
