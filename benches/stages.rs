//! Criterion benches per stage: conversion (three configs) and decoding (GBK, Big5, UTF-8).

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

fn repair(c: &mut Criterion) {
    let clean = sample("news-simplified.txt");
    let garbled = std::fs::read_to_string(format!(
        "{}/samples/repair/003-garbled-traditional.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .repeat(40);
    let mut g = c.benchmark_group("repair");
    for (name, text) in [("clean", &clean), ("garbled", &garbled)] {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                Pipeline::builder()
                    .only(&["repair"])
                    .unwrap()
                    .build()
                    .unwrap()
                    .run_text(text)
                    .unwrap()
                    .len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, convert, decode, repair);
criterion_main!(benches);
