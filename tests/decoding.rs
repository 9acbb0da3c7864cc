//! Decoding: a table of encodings (with and without BOM, detected and named), inputs cut
//! mid-character, invalid bytes, binary input, and output encodings.

use zhtidy::{ErrorKind, Pipeline};

const TEXT: &str = "國家郵政局召開2023年快遞業務旺季服務保障工作動員部署電視電話會議，強調全系統全行業要繼續發揮核心機制作用。";
const SIMP: &str = "国家邮政局召开2023年快递业务旺季服务保障工作动员部署电视电话会议，强调全系统全行业要继续发挥核心机制作用。";

fn encode(label: &str, text: &str) -> Vec<u8> {
    match label {
        "utf-16le" => text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
        "utf-16be" => text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect(),
        _ => encoding_rs::Encoding::for_label(label.as_bytes())
            .unwrap()
            .encode(text)
            .0
            .into_owned(),
    }
}

fn decode(bytes: &[u8], forced: Option<&str>) -> (String, zhtidy::Report) {
    let mut b = Pipeline::builder();
    if let Some(f) = forced {
        b = b.encoding(f).unwrap();
    }
    let (out, report) = b.build().unwrap().run_bytes(bytes).unwrap();
    (String::from_utf8(out).unwrap(), report)
}

#[test]
fn detection_table() {
    // (label used to encode, text, BOM, expected report name, expected source)
    let table: &[(&str, &str, &[u8], &str, &str)] = &[
        ("utf-8", TEXT, b"", "UTF-8", "detected"),
        ("utf-8", TEXT, b"\xEF\xBB\xBF", "UTF-8", "bom"),
        ("utf-16le", TEXT, b"\xFF\xFE", "UTF-16LE", "bom"),
        ("utf-16be", TEXT, b"\xFE\xFF", "UTF-16BE", "bom"),
        ("big5", TEXT, b"", "Big5", "detected"),
        ("gbk", SIMP, b"", "GBK", "detected"),
        ("gb18030", SIMP, b"", "GBK", "detected"),
        ("utf-8", SIMP, b"", "UTF-8", "detected"),
    ];
    for (label, text, bom, name, source) in table {
        let mut bytes = bom.to_vec();
        bytes.extend(encode(label, text));
        let (out, report) = decode(&bytes, None);
        assert_eq!(&out, text, "{label} with bom {bom:?}");
        assert_eq!(report.encoding.name, *name, "{label}");
        assert_eq!(report.encoding.source, *source, "{label}");
        assert_eq!(report.encoding.replacements, 0);
        assert!(
            report.encoding.confidence >= 0.9,
            "{label}: {}",
            report.encoding.confidence
        );
    }
}

#[test]
fn named_encodings_win_and_strip_their_bom() {
    for label in ["gbk", "gb18030", "big5", "utf-16le", "utf-16be", "utf-8"] {
        let text = if label == "big5" { TEXT } else { SIMP };
        let (out, report) = decode(&encode(label, text), Some(label));
        assert_eq!(out, text, "{label}");
        assert_eq!(report.encoding.source, "user");
    }
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(SIMP.as_bytes());
    assert_eq!(decode(&bytes, Some("utf-8")).0, SIMP);
}

#[test]
fn utf16_without_bom_is_recognised_by_its_nul_pattern() {
    let text = "Chapter 1: 中文 and English mixed, mostly ASCII text here.";
    let (out, report) = decode(&encode("utf-16le", text), None);
    assert_eq!(out, text);
    assert_eq!(report.encoding.name, "UTF-16LE");
}

#[test]
fn every_cut_inside_characters_decodes_the_same() {
    for (label, text) in [
        ("gbk", SIMP),
        ("big5", TEXT),
        ("utf-8", TEXT),
        ("gb18030", "𠀀中文𪚥"),
    ] {
        let bytes = encode(label, text);
        for cut in 1..bytes.len() {
            let mut p = Pipeline::builder()
                .encoding(label)
                .unwrap()
                .build()
                .unwrap();
            let mut out = String::new();
            p.push_bytes(&bytes[..cut], &mut out, false).unwrap();
            p.push_bytes(&bytes[cut..], &mut out, true).unwrap();
            assert_eq!(out, text, "{label} cut at {cut}");
        }
    }
}

#[test]
fn invalid_bytes_become_replacement_characters_and_are_counted() {
    let mut bytes = "中文".as_bytes().to_vec();
    bytes.push(0xFF);
    bytes.extend("测试".as_bytes());
    bytes.extend([0xE4, 0xB8]); // truncated at the end
    let (out, report) = decode(&bytes, Some("utf-8"));
    assert_eq!(out, "中文\u{FFFD}测试\u{FFFD}");
    assert_eq!(report.encoding.replacements, 2);
    // Damaged UTF-8 is still detected as UTF-8, not as a legacy encoding.
    let mut long = SIMP.repeat(3).into_bytes();
    long.insert(28, 0xFF);
    let (out, report) = decode(&long, None);
    assert_eq!(report.encoding.name, "UTF-8");
    assert_eq!(report.encoding.replacements, 1);
    assert_eq!(out.matches('\u{FFFD}').count(), 1);
}

#[test]
fn binary_input_is_an_error_not_garbage() {
    let bytes =
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00\x01\x00\x00\x00";
    let err = Pipeline::builder()
        .build()
        .unwrap()
        .run_bytes(bytes)
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Binary);
    assert!(err.to_string().contains("binary"), "{err}");
}

#[test]
fn empty_input_gives_empty_output() {
    let (out, report) = decode(b"", None);
    assert_eq!(out, "");
    assert_eq!(report.encoding.name, "UTF-8");
    assert_eq!(report.encoding.source, "default");
}

#[test]
fn unknown_encoding_names_are_rejected() {
    let err = Pipeline::builder().encoding("klingon").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnknownEncoding);
}

#[test]
fn output_encodings() {
    for label in ["gb18030", "gbk", "big5", "utf-16le", "utf-16be"] {
        let text = if label == "big5" { TEXT } else { SIMP };
        let (out, report) = Pipeline::builder()
            .output_encoding(label)
            .unwrap()
            .build()
            .unwrap()
            .run_bytes(text.as_bytes())
            .unwrap();
        assert_eq!(out, encode(label, text), "{label}");
        assert_eq!(report.encoding.unmappable, 0);
    }
}

#[test]
fn unmappable_output_names_the_character_and_position_or_falls_back() {
    let input = "第一行\n简体字在这里".as_bytes();
    let err = Pipeline::builder()
        .output_encoding("big5")
        .unwrap()
        .build()
        .unwrap()
        .run_bytes(input)
        .unwrap_err();
    match err.kind() {
        ErrorKind::Unmappable { ch, line, column } => {
            assert_eq!((*ch, *line, *column), ('简', 2, 1));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("U+7B80"), "{err}");
    let (out, report) = Pipeline::builder()
        .output_encoding("big5")
        .unwrap()
        .lossy_output(true)
        .build()
        .unwrap()
        .run_bytes(input)
        .unwrap();
    let text = encoding_rs::BIG5.decode(&out).0.into_owned();
    assert!(text.starts_with("第一行\n&#31616;"), "{text}");
    assert!(report.encoding.unmappable >= 1);
}

mod arbitrary {
    use proptest::prelude::*;
    use zhtidy::convert::{Config, Target};
    use zhtidy::{ErrorKind, Pipeline};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes, any chunking: no panic, and either text out or a binary-input error.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000), cut in 0usize..2000, cfg in 0usize..16) {
            let build = || Pipeline::builder().target(Target::Config(Config::ALL[cfg])).build().unwrap();
            let whole = build().run_bytes(&bytes);
            let cut = cut.min(bytes.len());
            let mut p = build();
            let mut out = String::new();
            let pieces = p.push_bytes(&bytes[..cut], &mut out, false).and_then(|_| p.push_bytes(&bytes[cut..], &mut out, true));
            match (whole, pieces) {
                (Ok((w, _)), Ok(())) => prop_assert_eq!(String::from_utf8(w).unwrap(), out),
                (Err(a), Err(b)) => {
                    prop_assert_eq!(a.kind(), &ErrorKind::Binary);
                    prop_assert_eq!(b.kind(), &ErrorKind::Binary);
                }
                (a, b) => prop_assert!(false, "whole {:?} vs pieces {:?}", a.map(|x| x.0.len()), b),
            }
        }
    }
}

/// zhtidy validates UTF-8 itself and replaces invalid sequences itself: for any bytes and any
/// read sizes, `Pipeline::run` agrees with a whole-input run and with `encoding_rs` on the text
/// and the replacements counted, and with a whole-input run on the encoding chosen.
mod reads {
    use proptest::prelude::*;
    use std::io::Read;
    use zhtidy::convert::{Config, Target};
    use zhtidy::Pipeline;

    /// A reader that hands out its bytes in pieces of the given sizes (then whatever is left).
    struct Pieces<'a> {
        bytes: &'a [u8],
        sizes: std::vec::IntoIter<usize>,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self
                .sizes
                .next()
                .unwrap_or(usize::MAX)
                .min(buf.len())
                .min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => prop::sample::select(vec!["国家邮政局", "業務", "，", "abc\n", "\u{FEFF}", "𠀀", "\u{F900}"])
                .prop_map(|s| s.as_bytes().to_vec()),
            1 => proptest::collection::vec(any::<u8>(), 1..4),
            1 => proptest::collection::vec(0x80u8..0xC0, 1..3),
            1 => prop::sample::select(vec![vec![0xE4u8, 0xB8], vec![0xF0, 0x9F, 0x98], vec![0xED, 0xA0, 0x80], vec![0xC0, 0xAF]]),
        ]
    }

    /// One byte per read, every encoding, with and without a BOM, detected and named.
    #[test]
    fn byte_by_byte_reads_decode_as_whole_input() {
        let text = "國家郵政局召開會議，強調要繼續發揮作用。\n第二行 ASCII text.\n";
        let mut inputs: Vec<(Vec<u8>, Option<&str>)> = Vec::new();
        for label in ["utf-8", "gbk", "gb18030", "big5", "utf-16le", "utf-16be"] {
            let bytes = super::encode(label, text);
            inputs.push((bytes.clone(), Some(label)));
            inputs.push((bytes.clone(), None));
            let bom: &[u8] = match label {
                "utf-8" => b"\xEF\xBB\xBF",
                "utf-16le" => b"\xFF\xFE",
                "utf-16be" => b"\xFE\xFF",
                _ => continue,
            };
            let with_bom = [bom, &bytes].concat();
            inputs.push((with_bom.clone(), Some(label)));
            inputs.push((with_bom, None));
        }
        for (bytes, label) in inputs {
            let build = || match label {
                Some(l) => Pipeline::builder().encoding(l).unwrap().build().unwrap(),
                None => Pipeline::builder().build().unwrap(),
            };
            let (whole, whole_report) = build().run_bytes(&bytes).unwrap();
            let mut out = Vec::new();
            let sizes = vec![1; bytes.len()].into_iter();
            let report = build()
                .run(
                    Pieces {
                        bytes: &bytes,
                        sizes,
                    },
                    &mut out,
                )
                .unwrap();
            assert_eq!(out, whole, "{label:?}");
            assert_eq!(report.encoding, whole_report.encoding, "{label:?}");
            if label.is_some() {
                assert_eq!(String::from_utf8(whole).unwrap(), text, "{label:?}");
            }
        }
    }

    /// What `encoding_rs` makes of all of `bytes` in `enc` (a leading BOM of it removed when
    /// `bom`): the text, and how many invalid sequences became U+FFFD.
    fn reference(enc: &'static encoding_rs::Encoding, bytes: &[u8], bom: bool) -> (String, u64) {
        let mut d = if bom {
            enc.new_decoder_with_bom_removal()
        } else {
            enc.new_decoder_without_bom_handling()
        };
        let (mut text, mut input, mut replaced) = (String::new(), bytes, 0);
        loop {
            text.reserve(input.len() * 3 + 16);
            let (result, read) = d.decode_to_string_without_replacement(input, &mut text, true);
            input = &input[read..];
            match result {
                encoding_rs::DecoderResult::InputEmpty => return (text, replaced),
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(..) => {
                    text.push('\u{FFFD}');
                    replaced += 1;
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_reads_decode_as_encoding_rs_does(
            pieces in proptest::collection::vec(piece(), 0..60),
            sizes in proptest::collection::vec(1usize..9, 0..40),
            mode in 0usize..4,
        ) {
            let bytes: Vec<u8> = pieces.concat();
            let build = || {
                let b = Pipeline::builder().target(Target::Config(Config::S2t));
                match mode {
                    0 => b.encoding("utf-8").unwrap(),
                    1 => b.encoding("gb18030").unwrap(),
                    2 => b.only(&["convert"]).unwrap(),
                    _ => b,
                }
            };
            let whole = build().build().unwrap().run_bytes(&bytes);
            let mut out = Vec::new();
            let read = build().build().unwrap().run(Pieces { bytes: &bytes, sizes: sizes.into_iter() }, &mut out);
            match (whole, read) {
                (Ok((w, wr)), Ok(rr)) => {
                    prop_assert_eq!(String::from_utf8_lossy(&w), String::from_utf8_lossy(&out));
                    prop_assert_eq!(&wr.encoding, &rr.encoding);
                    // The reference: encoding_rs decodes the whole input in the encoding chosen,
                    // and the same stages clean its text.
                    let enc = encoding_rs::Encoding::for_label(rr.encoding.name.as_bytes()).unwrap();
                    let bom = rr.encoding.source == "user" || rr.encoding.source == "bom";
                    let (text, replaced) = reference(enc, &bytes, bom);
                    let (want, _) = build().build().unwrap().run_str(&text).unwrap();
                    prop_assert_eq!(String::from_utf8_lossy(&out), want);
                    prop_assert_eq!(rr.encoding.replacements, replaced);
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
                (a, b) => prop_assert!(false, "whole {:?} vs read {:?}", a.map(|x| x.0.len()), b.map(|_| ())),
            }
        }
    }
}

/// Output encodings against encoding_rs, character by character: GBK and Big5 are written from
/// zhtidy's own tables, the others by encoding_rs's encoders; both must write what encoding_rs
/// writes, with `&#N;` for each character the encoding lacks (lossy), or fail at the first one
/// (its line and column).
mod encodes {
    use proptest::prelude::*;
    use zhtidy::{ErrorKind, Pipeline};

    const LABELS: [&str; 5] = ["gbk", "big5", "gb18030", "shift_jis", "euc-kr"];

    /// What the output should be: each character as encoding_rs encodes it alone, or its
    /// reference; and the first character it cannot encode, with its line and column.
    fn reference(label: &str, text: &str) -> (Vec<u8>, Option<(char, u64, u64)>) {
        let enc = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
        let (mut out, mut first, mut line, mut column) = (Vec::new(), None, 1, 1);
        for c in text.chars() {
            let mut buf = [0; 4];
            let (bytes, _, unmappable) = enc.encode(c.encode_utf8(&mut buf));
            if unmappable {
                out.extend_from_slice(format!("&#{};", c as u32).as_bytes());
                first = first.or(Some((c, line, column)));
            } else {
                out.extend_from_slice(&bytes);
            }
            if c == '\n' {
                (line, column) = (line + 1, 1);
            } else {
                column += 1;
            }
        }
        (out, first)
    }

    fn run(label: &str, text: &str, lossy: bool) -> zhtidy::Result<Vec<u8>> {
        Pipeline::builder()
            .only(&["convert"][..0])
            .unwrap()
            .output_encoding(label)
            .unwrap()
            .lossy_output(lossy)
            .build()
            .unwrap()
            .run_bytes(text.as_bytes())
            .map(|(out, _)| out)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn lossy_and_strict_outputs_agree_with_encoding_rs(
            text in "([a-z \n,.]|[\u{4E00}-\u{9FFF}]|[\u{3400}-\u{4DBF}]|[\u{3000}-\u{30FF}]|[\u{AC00}-\u{AC20}]|[\u{1F600}-\u{1F610}]|[\u{20000}-\u{20010}]|€|¥|·|—){0,80}",
            l in 0usize..LABELS.len(),
        ) {
            let label = LABELS[l];
            let (want, first) = reference(label, &text);
            prop_assert_eq!(run(label, &text, true).unwrap(), want);
            match (run(label, &text, false), first) {
                (Ok(out), None) => prop_assert_eq!(out, reference(label, &text).0),
                (Err(e), Some((c, line, column))) => {
                    prop_assert_eq!(e.kind(), &ErrorKind::Unmappable { ch: c, line, column });
                }
                (got, want) => prop_assert!(false, "{label}: {:?} against {:?}", got.map(|o| o.len()), want),
            }
        }
    }
}
