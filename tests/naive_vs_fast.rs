//! Differential test: the fast engine (fused tables, one automaton pass) against the plain
//! implementation of OpenCC's semantics in `convert::model` (hash maps, one position at a
//! time), on the samples and, when fetched (`scripts/fetch-corpus.sh`), on real text.

use zhtidy::convert::{naive_converter, Config, Converter};

fn texts() -> Vec<(String, String)> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut v = Vec::new();
    for name in ["news-simplified.txt", "news-traditional-tw.txt"] {
        v.push((
            name.to_string(),
            std::fs::read_to_string(root.join("samples/convert").join(name)).unwrap(),
        ));
    }
    for name in ["zh_CN.txt", "zh_TW.txt"] {
        match std::fs::read_to_string(root.join(".cache/corpus").join(name)) {
            // 300 KB from the middle of each: the naive model is slow.
            Ok(t) => {
                let start = t.char_indices().nth(t.chars().count() / 2).map(|(i, _)| i).unwrap_or(0);
                v.push((name.to_string(), t[start..].chars().take(100_000).collect()));
            }
            Err(_) => eprintln!("note: .cache/corpus/{name} absent (run scripts/fetch-corpus.sh); using samples only"),
        }
    }
    v.push((
        "edge cases".into(),
        "兼容\u{F900}字\u{2F800}，头发\n\n皇后乾坤干燥 ABC 123 😀 𠀀".into(),
    ));
    v
}

#[test]
fn fast_engine_equals_naive_model_for_every_config() {
    let texts = texts();
    for &config in Config::ALL {
        let naive = naive_converter(config);
        let fast = Converter::new(config);
        for (name, text) in &texts {
            let a = naive.convert(text);
            let b = fast.convert(text);
            if a != b {
                let i = a
                    .chars()
                    .zip(b.chars())
                    .position(|(x, y)| x != y)
                    .unwrap_or(0);
                let ctx = |s: &str| {
                    s.chars()
                        .skip(i.saturating_sub(10))
                        .take(30)
                        .collect::<String>()
                };
                panic!(
                    "{config} on {name} differs at char {i}:\n naive {:?}\n fast  {:?}",
                    ctx(&a),
                    ctx(&b)
                );
            }
        }
    }
}
