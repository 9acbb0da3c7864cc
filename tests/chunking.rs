//! The chunk contract: output must not depend on how the input was cut, at the text level
//! (every split point, 1-character chunks, random chunkings) and at the byte level (cuts inside
//! multi-byte characters of every encoding).

use proptest::prelude::*;
use zhtidy::convert::{Config, Target};
use zhtidy::Pipeline;

const CASES: &[&str] = &[
    "鼠标里面的硅二极管坏了，导致光标分辨率降低。",
    "我们在老挝的服务器的硬盘需要使用互联网算法软件解决异步的问题。",
    "著裝著作汙染虛偽發洩稜柱群眾裡面",
    "滑鼠裡面的矽二極體壞了，導致游標解析度降低。",
    "ASCII only, no Chinese at all.\nSecond line",
    "兼容\u{F900}字\u{2F800}和\u{FA0E}﨑：规范化",
    "头发发展，皇后后面，乾坤干燥",
    "",
    "\n\n中\n",
];

fn convert_whole(config: Config, text: &str) -> String {
    convert_counted(config, text).0
}

/// The conversion of `text` in one piece, and the convert stage's report (changes, detail).
fn convert_counted(config: Config, text: &str) -> (String, (u64, serde_json::Value)) {
    let (out, report) = Pipeline::builder()
        .target(Target::Config(config))
        .build()
        .unwrap()
        .run_str(text)
        .unwrap();
    (out, convert_entry(&report))
}

fn convert_entry(report: &zhtidy::Report) -> (u64, serde_json::Value) {
    let s = report
        .stages
        .iter()
        .find(|s| s.stage == "convert")
        .expect("a convert entry");
    (s.changes, s.detail.clone())
}

/// Feeds `pieces` to one pipeline; returns the output and the convert stage's report.
fn pieces_counted(config: Config, pieces: &[&str]) -> (String, (u64, serde_json::Value)) {
    let mut p = Pipeline::builder()
        .target(Target::Config(config))
        .build()
        .unwrap();
    let mut out = String::new();
    for piece in pieces {
        p.push_text(piece, &mut out, false).unwrap();
    }
    p.push_text("", &mut out, true).unwrap();
    let report = p.finish(0);
    (out, convert_entry(&report))
}

fn convert_pieces(config: Config, pieces: &[&str]) -> String {
    push_pieces(Target::Config(config), pieces)
}

/// Feeds `pieces` one by one to a pipeline converting to `target`.
fn push_pieces(target: Target, pieces: &[&str]) -> String {
    let mut p = Pipeline::builder().target(target).build().unwrap();
    let mut out = String::new();
    for piece in pieces {
        p.push_text(piece, &mut out, false).unwrap();
    }
    p.push_text("", &mut out, true).unwrap();
    out
}

fn char_pieces(text: &str) -> Vec<&str> {
    text.char_indices()
        .map(|(i, c)| &text[i..i + c.len_utf8()])
        .collect()
}

#[test]
fn counts_do_not_depend_on_chunking() {
    for &config in Config::ALL {
        for case in CASES {
            let whole = convert_counted(config, case);
            for (i, _) in case.char_indices().skip(1) {
                assert_eq!(
                    pieces_counted(config, &[&case[..i], &case[i..]]),
                    whole,
                    "{config:?} split at {i} of {case:?}"
                );
            }
            assert_eq!(pieces_counted(config, &char_pieces(case)), whole);
        }
    }
}

#[test]
fn every_split_point_and_single_chars_agree_for_every_config() {
    for &config in Config::ALL {
        for case in CASES {
            let whole = convert_whole(config, case);
            for (i, _) in case.char_indices().skip(1) {
                assert_eq!(
                    convert_pieces(config, &[&case[..i], &case[i..]]),
                    whole,
                    "{config} split at {i} of {case:?}"
                );
            }
            assert_eq!(
                convert_pieces(config, &char_pieces(case)),
                whole,
                "{config} 1-char chunks of {case:?}"
            );
        }
    }
}

#[test]
fn script_detection_does_not_depend_on_chunking() {
    let text = "國家郵政局召開電視電話會議。".repeat(50) + &"国家邮政局".repeat(30);
    let run = |pieces: &[&str]| push_pieces("simplified".parse().unwrap(), pieces);
    let whole = run(&[&text]);
    assert_eq!(run(&char_pieces(&text)), whole);
    assert!(whole.starts_with("国家邮政局召开电视电话会议"));
}

fn sample() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/convert/news-simplified.txt"
    );
    std::fs::read_to_string(path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_chunkings_agree(cuts in proptest::collection::vec(0usize..4000, 0..40), cfg in 0usize..16) {
        let config = Config::ALL[cfg];
        let text: String = sample().chars().take(4000).collect();
        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| {
            let mut b = c.min(text.len());
            while !text.is_char_boundary(b) { b -= 1; }
            b
        }).collect();
        bounds.push(0);
        bounds.push(text.len());
        bounds.sort_unstable();
        bounds.dedup();
        let pieces: Vec<&str> = bounds.windows(2).map(|w| &text[w[0]..w[1]]).collect();
        prop_assert_eq!(pieces_counted(config, &pieces), convert_counted(config, &text));
    }

    /// The report's change counts are part of the contract: a document cut into lines for
    /// threads (`-j`) counts the same as in one piece. Only line-local pipelines are cut (the
    /// reflow and boilerplate stages read the document whole, so cutting changes their output).
    #[test]
    fn counts_agree_when_lines_run_apart(cut in 1usize..200, cfg in 0usize..16) {
        let config = Config::ALL[cfg];
        let text = sample();
        let counted = |text: &str| {
            let p = Pipeline::builder()
                .target(Target::Config(config))
                .only(&["repair", "convert"])
                .unwrap()
                .build()
                .unwrap();
            assert!(p.line_local());
            let (out, report) = p.run_str(text).unwrap();
            (out, convert_entry(&report).0)
        };
        let (all, whole) = counted(&text);
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let cut = cut.min(lines.len());
        let (head, a) = counted(&lines[..cut].concat());
        let (tail, b) = counted(&lines[cut..].concat());
        prop_assert_eq!(head + &tail, all);
        prop_assert_eq!(a + b, whole, "{:?} cut after line {}", config, cut);
    }

    #[test]
    fn byte_level_random_chunkings_agree(cuts in proptest::collection::vec(0usize..3000, 0..30), enc in 0usize..5) {
        let label = ["utf-8", "gb18030", "gbk", "big5", "utf-16le"][enc];
        let text: String = sample().chars().take(1000).collect();
        let bytes = encode(label, &text);
        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        bounds.push(0);
        bounds.push(bytes.len());
        bounds.sort_unstable();
        bounds.dedup();
        let run = |pieces: &[&[u8]]| {
            let mut p = Pipeline::builder().target(Target::Config(Config::S2twp)).build().unwrap();
            let mut out = String::new();
            for piece in pieces {
                p.push_bytes(piece, &mut out, false).unwrap();
            }
            p.push_bytes(&[], &mut out, true).unwrap();
            out
        };
        let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &bytes[w[0]..w[1]]).collect();
        prop_assert_eq!(run(&pieces), run(&[&bytes]));
    }
}

fn encode(label: &str, text: &str) -> Vec<u8> {
    if label == "utf-16le" {
        let mut v = vec![0xFF, 0xFE];
        v.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        return v;
    }
    let enc = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
    enc.encode(text).0.into_owned()
}

#[test]
fn a_long_single_line_streams_with_bounded_holdback() {
    // 8 MB without a newline, fed in 64 KiB pieces: the output must equal the one-shot
    // conversion, and the pipeline must emit output as it goes (not hold the line).
    let unit = "鼠标里面的硅二极管坏了，导致光标分辨率降低。";
    let text = unit.repeat(8 * 1024 * 1024 / unit.len());
    let mut p = Pipeline::builder()
        .target(Target::Config(Config::S2twp))
        .build()
        .unwrap();
    let mut out = String::new();
    let mut max_behind = 0usize;
    let bytes = text.as_bytes();
    let mut fed = 0;
    for chunk in bytes.chunks(64 * 1024) {
        p.push_bytes(chunk, &mut out, false).unwrap();
        fed += chunk.len();
        // Output length tracks input length (same-length conversion here) within a bound.
        max_behind = max_behind.max(fed.saturating_sub(out.len()));
    }
    p.push_bytes(&[], &mut out, true).unwrap();
    assert_eq!(
        out,
        zhtidy::convert::Converter::new(Config::S2twp).convert(&text)
    );
    assert!(max_behind <= 128 * 1024, "held back {max_behind} bytes");
}
