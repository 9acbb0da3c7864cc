//! Criterion benches per stage: conversion (four configs), decoding (GBK, Big5, UTF-8), output
//! encoding (GBK, Big5), repair, and cleaning (html, reflow, boilerplate).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zhtidy::convert::{Config, Converter};
use zhtidy::Pipeline;

fn sample(name: &str) -> String {
    let path = format!("{}/samples/convert/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap().repeat(8)
}

fn convert(c: &mut Criterion) {
    let simp = sample("news-simplified.txt");
    let trad = sample("news-traditional-tw.txt");
    let mut g = c.benchmark_group("convert");
    for (config, text) in [
        (Config::S2t, &simp),
        (Config::S2twp, &simp),
        (Config::T2s, &trad),
        (Config::Tw2sp, &trad),
    ] {
        let conv = Converter::new(config);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(config.name(), |b| b.iter(|| conv.convert(text)));
    }
    g.finish();
}

fn decode(c: &mut Criterion) {
    let simp = sample("news-simplified.txt");
    let trad = sample("news-traditional-tw.txt");
    let mut g = c.benchmark_group("decode");
    for (label, bytes) in [
        ("utf-8", simp.as_bytes().to_vec()),
        ("gbk", encoding_rs::GBK.encode(&simp).0.into_owned()),
        ("big5", encoding_rs::BIG5.encode(&trad).0.into_owned()),
    ] {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(label, |b| {
            b.iter(|| {
                Pipeline::builder()
                    .build()
                    .unwrap()
                    .run_bytes(&bytes)
                    .unwrap()
                    .0
                    .len()
            })
        });
    }
    g.finish();
}

/// Times `stages` alone over `text` (a fresh pipeline per run, as for a new document).
fn bench_stages(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    stages: &[&str],
    text: &str,
) {
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function(name, |b| {
        b.iter(|| {
            Pipeline::builder()
                .only(stages)
                .unwrap()
                .build()
                .unwrap()
                .run_text(text)
                .unwrap()
                .len()
        })
    });
}

fn repair(c: &mut Criterion) {
    let clean = sample("news-simplified.txt");
    let garbled = std::fs::read_to_string(format!(
        "{}/samples/repair/003-garbled-traditional.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .repeat(40);
    let rare = rare_characters();
    let mut g = c.benchmark_group("repair");
    for (name, text) in [
        ("clean", &clean),
        ("garbled", &garbled),
        ("rare characters", &rare),
    ] {
        bench_stages(&mut g, name, &["repair"], text);
    }
    g.finish();
}

/// Clean text of characters that are mostly uncommon (the whole unified block and extension A,
/// picked by a fixed pseudo-random sequence), in sentences: every run is a candidate for the
/// mojibake check, and most characters are missing from GBK or Big5 (encoding_rs's encoders
/// search their whole index for those).
fn rare_characters() -> String {
    let mut x: u32 = 1;
    let mut text = String::new();
    for line in 0..4000 {
        for _ in 0..30 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let r = (x >> 8) % (0x9FFF - 0x4E00 + 0x4DBF - 0x3400);
            let cp = if r < 0x9FFF - 0x4E00 {
                0x4E00 + r
            } else {
                0x3400 + r - (0x9FFF - 0x4E00)
            };
            text.push(char::from_u32(cp).unwrap());
        }
        text.push_str(if line % 3 == 2 { "。\n" } else { "，" });
    }
    text
}

/// Output encodings (GBK for Simplified text, Big5 and GB18030 for Traditional, Big5 for
/// Simplified with the lossy fallback), through the pipeline's encoder alone.
fn encode(c: &mut Criterion) {
    let simp = sample("news-simplified.txt");
    let trad = sample("news-traditional-tw.txt");
    let mut g = c.benchmark_group("encode");
    // The last: Simplified text in Big5, every character Big5 lacks written as `&#N;`.
    for (name, label, text) in [
        ("gbk", "gbk", &simp),
        ("big5", "big5", &trad),
        ("gb18030", "gb18030", &trad),
        ("big5 lossy", "big5", &simp),
    ] {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                Pipeline::builder()
                    .only::<&str>(&[])
                    .unwrap()
                    .output_encoding(label)
                    .unwrap()
                    .lossy_output(true)
                    .build()
                    .unwrap()
                    .run_bytes(text.as_bytes())
                    .unwrap()
                    .0
                    .len()
            })
        });
    }
    g.finish();
}

/// An HTML page built from the seeds' cleaned text: paragraphs with inline tags, entities,
/// scripts, styles, comments, navigation and a footer.
fn html_page() -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/clean");
    let mut page = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>新闻</title><style>.a{color:red}</style><script>if (a<b) { x = 1; }</script></head><body><div class=\"nav\"><a href=\"/\">首页</a> &gt; <a href=\"/n\">新闻中心</a> &gt; 正文</div><article>");
    for name in [
        "000-pdf-news",
        "003-scraped-traditional",
        "004-pdf-newspaper",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{name}.expected.txt")).unwrap();
        for line in text.lines().filter(|l| !l.is_empty()) {
            let line = line.replace('&', "&amp;").replace('<', "&lt;");
            page.push_str("<p class=\"text\">　　<span>");
            page.push_str(&line);
            page.push_str("</span></p>\n<!-- ad -->");
        }
    }
    page.push_str("</article><div class=\"footer\"><p>Copyright &copy; 2023 新闻网 版权所有</p><p>京ICP备18014261号-2</p></div></body></html>\n");
    page.repeat(4)
}

fn clean(c: &mut Criterion) {
    let page = html_page();
    let pdf = [
        "samples/convert/news-simplified.txt",
        "samples/clean/004-pdf-newspaper.txt",
    ]
    .iter()
    .map(|p| std::fs::read_to_string(format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap())
    .collect::<String>()
    .repeat(4);
    let mut g = c.benchmark_group("clean");
    for (name, stages, text) in [
        ("html", &["html"][..], &page),
        (
            "html+reflow+boilerplate",
            &["html", "reflow", "boilerplate"][..],
            &page,
        ),
        (
            "reflow+boilerplate (PDF text)",
            &["reflow", "boilerplate"][..],
            &pdf,
        ),
        ("reflow (PDF text)", &["reflow"][..], &pdf),
        ("boilerplate (PDF text)", &["boilerplate"][..], &pdf),
    ] {
        bench_stages(&mut g, name, stages, text);
    }
    g.finish();
}

criterion_group!(benches, convert, decode, encode, repair, clean);
criterion_main!(benches);
