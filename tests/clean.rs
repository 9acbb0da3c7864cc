//! The html, reflow and boilerplate stages: case tables (samples/cases/{html,reflow,
//! boilerplate}.json), golden files for the five seed documents through the CLI (with and
//! without --to; `ZHTIDY_BLESS=1 cargo test --test clean` rewrites them), chunk invariance,
//! clean text left alone, and arbitrary input.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use proptest::prelude::*;
use zhtidy::html::MainContent;
use zhtidy::pipeline::Html;
use zhtidy::{Pipeline, PipelineBuilder};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `text` through `stage` alone, with `main` as the page handling.
fn one_stage(stage: &str, main: MainContent, text: &str) -> String {
    Pipeline::builder()
        .main_content_mode(main)
        .only(&[stage])
        .unwrap()
        .build()
        .unwrap()
        .run_str(text)
        .unwrap()
        .0
}

/// `text` through one stage; the html stage as the streaming converter (no main-content step,
/// which whole pages get by default and `main_content_on_whole_pages_by_default` tests).
fn only(stage: &str, text: &str) -> String {
    one_stage(stage, MainContent::Off, text)
}

fn case_table(stage: &str) {
    case_table_in(stage, stage, only);
}

/// `stage` only, with the default page handling (the boilerplate stage then finds the body
/// region of scraped pages).
fn only_by_default(stage: &str, text: &str) -> String {
    one_stage(stage, MainContent::default(), text)
}

fn case_table_in(file: &str, stage: &str, run: fn(&str, &str) -> String) {
    let path = root().join(format!("samples/cases/{file}.json"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut failures = Vec::new();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 5, "{} cases only", cases.len());
    for case in cases {
        let label = case["label"].as_str().unwrap();
        let input = case["input"].as_str().unwrap();
        let expected = case["expected"].as_str().unwrap();
        let got = run(stage, input);
        if got != expected {
            failures.push(format!(
                "{label}:\n  input    {input:?}\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn html_cases() {
    case_table("html");
}

#[test]
fn reflow_cases() {
    case_table("reflow");
}

#[test]
fn boilerplate_cases() {
    case_table("boilerplate");
}

#[test]
fn body_region_cases() {
    case_table_in("boilerplate_region", "boilerplate", only_by_default);
}

/// The seed documents: (input, golden name, the --to of the second golden).
const SEEDS: &[(&str, &str, &str)] = &[
    ("samples/convert/news-simplified.txt", "000-pdf-news", "tw"),
    (
        "samples/repair/001-garbled-traditional.txt",
        "001-scraped-traditional",
        "simplified",
    ),
    ("samples/clean/002-cms-article.md", "002-cms-article", "tw"),
    (
        "samples/repair/003-garbled-traditional.txt",
        "003-scraped-traditional",
        "simplified",
    ),
    (
        "samples/clean/004-pdf-newspaper.txt",
        "004-pdf-newspaper",
        "tw",
    ),
];

fn golden(input: &str, args: &[&str], expected: &Path) {
    let out = Command::cargo_bin("zhtidy")
        .unwrap()
        .args(args)
        .arg(root().join(input))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    if std::env::var_os("ZHTIDY_BLESS").is_some() {
        std::fs::write(expected, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(expected)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with ZHTIDY_BLESS=1)", expected.display()));
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(got.lines().count().min(want.lines().count()));
        panic!(
            "{input} {args:?} differs from {} at line {}:\n  got  {:?}\n  want {:?}",
            expected.display(),
            line + 1,
            got.lines().nth(line),
            want.lines().nth(line)
        );
    }
}

#[test]
fn seed_goldens() {
    for (input, name, to) in SEEDS {
        let dir = root().join("samples/clean");
        golden(input, &[], &dir.join(format!("{name}.expected.txt")));
        golden(
            input,
            &["--to", to],
            &dir.join(format!("{name}.{to}.expected.txt")),
        );
    }
}

#[test]
fn seed_goldens_keep_what_they_should() {
    let read = |name: &str| {
        std::fs::read_to_string(root().join(format!("samples/clean/{name}.expected.txt"))).unwrap()
    };
    let pdf = read("000-pdf-news");
    assert!(pdf.contains("这份时时放心不下的牵挂，一直萦绕在习近平总书记的心头。"));
    assert!(pdf.contains("再接再厉抓好灾后恢复重建"));
    assert!(!pdf.contains("■新华社记者"));
    let scraped = read("003-scraped-traditional");
    for footer in ["ICP", "Copyright", "聲明", "責編", "值班手機"] {
        assert!(!scraped.contains(footer), "{footer} left in 003");
    }
    assert!(scraped
        .trim_end()
        .ends_with("國家郵政局和部機關有關司局負責同志參加座談。"));
    let cms = read("002-cms-article");
    assert!(cms.starts_with("国家邮政局：努力做好保通保畅工作 全力保障行业稳定\n\n6月16日"));
    for junk in ["<", "appendQr", "责任编辑", "新浪财经APP", "原标题"] {
        assert!(!cms.contains(junk), "{junk} left in 002");
    }
    let header = read("001-scraped-traditional");
    assert!(header
        .starts_with("國家郵政局召開2023年快遞業務旺季服務保障工作動員部署電視電話會議\n繼續發揮"));
}

/// Splits `text` at `cuts` (byte offsets, moved to character boundaries) and runs it through
/// the default pipeline piece by piece.
fn run_chunked(text: &str, cuts: &[usize]) -> String {
    run_chunked_in(Pipeline::builder().build().unwrap(), text, cuts)
}

/// [`run_chunked`] through a given pipeline.
fn run_chunked_in(mut p: Pipeline, text: &str, cuts: &[usize]) -> String {
    let mut out = String::new();
    let mut start = 0;
    for &c in cuts {
        let mut c = c.min(text.len());
        while !text.is_char_boundary(c) {
            c += 1;
        }
        if c <= start {
            continue;
        }
        p.push_text(&text[start..c], &mut out, false).unwrap();
        start = c;
    }
    p.push_text(&text[start..], &mut out, true).unwrap();
    out
}

#[test]
fn seeds_do_not_depend_on_chunking() {
    for (input, _, _) in SEEDS {
        let text = std::fs::read_to_string(root().join(input)).unwrap();
        let whole = run_chunked(&text, &[]);
        let mut seed = 0x2545F4914F6CDD1Du64;
        for _ in 0..8 {
            let mut cuts = Vec::new();
            let mut at = 0;
            while at < text.len() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                at += 1 + (seed % 300) as usize;
                cuts.push(at);
            }
            assert_eq!(run_chunked(&text, &cuts), whole, "{input}");
        }
        let every: Vec<usize> = (1..text.len().min(6000)).collect();
        assert_eq!(run_chunked(&text, &every), whole, "{input}: 1-byte chunks");
    }
}

#[test]
fn clean_text_stays_byte_for_byte() {
    // The cleaned seeds are clean text, one paragraph per line (Simplified and Traditional):
    // html, reflow and boilerplate must leave them exactly as they are.
    let dir = root().join("samples/clean");
    let mut total = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".expected.txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        total += text.len();
        let p = Pipeline::builder().build().unwrap();
        let (out, report) = p.run_str(&text).unwrap();
        assert_eq!(out, text, "{} changed", path.display());
        for s in &report.stages {
            assert_eq!(
                s.changes,
                0,
                "{}: {} changed {}",
                path.display(),
                s.stage,
                s.detail
            );
        }
    }
    assert!(total > 100_000, "only {total} bytes of clean text");
}

#[test]
fn html_forced_and_refused() {
    let page = "<p>一</p><p>二</p>";
    let run = |html| {
        Pipeline::builder()
            .html(html)
            .build()
            .unwrap()
            .run_str(page)
            .unwrap()
            .0
    };
    assert_eq!(run(Html::Auto), "一\n\n二\n");
    assert_eq!(run(Html::Never), page);
    let text = "a<b 且 c>d";
    let forced = Pipeline::builder()
        .html(Html::Always)
        .build()
        .unwrap()
        .run_str(text)
        .unwrap()
        .0;
    assert_eq!(forced, "ad\n", "`<b 且 c>` is a tag when the input is HTML");
}

#[test]
fn cli_switches() {
    let seed = root().join("samples/convert/news-simplified.txt");
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("zhtidy")
            .unwrap()
            .args(args)
            .arg(&seed)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let raw = std::fs::read_to_string(&seed).unwrap();
    assert_eq!(run(&["--no-reflow", "--keep-boilerplate"]), raw);
    let bylines = run(&["--keep-bylines"]);
    assert!(bylines.contains("■新华社记者 张晓松 朱基钗"));
    assert!(!run(&[]).contains("■新华社记者 张晓松 朱基钗"));
    let only_reflow = run(&["--only", "reflow"]);
    assert!(only_reflow.contains("■新华社记者 张晓松 朱基钗"));
    assert!(only_reflow.contains("一直萦绕在习近平总书记的心头。"));
    // The report lists every removed line with its rule.
    let out = Command::cargo_bin("zhtidy")
        .unwrap()
        .arg("--report")
        .arg(root().join("samples/repair/003-garbled-traditional.txt"))
        .output()
        .unwrap();
    let report: serde_json::Value =
        serde_json::from_str(String::from_utf8(out.stderr).unwrap().trim()).unwrap();
    let bp = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "boilerplate")
        .unwrap();
    let removed = bp["detail"]["removed"].as_array().unwrap();
    assert_eq!(removed.len() as u64, bp["changes"].as_u64().unwrap());
    assert!(removed.iter().any(|r| r["rule"] == "licence"));
    assert!(removed
        .iter()
        .all(|r| r["text"].as_str().is_some_and(|t| !t.is_empty())));
}

#[test]
fn main_content_picks_the_article() {
    let page = r#"<!DOCTYPE html><html><head><title>会议召开 - 新闻中心</title></head><body>
<nav><a href="/">首页</a> <a href="/n">新闻</a> <a href="/s">体育</a> <a href="/f">财经</a></nav>
<div class="sidebar"><ul><li><a href="/a">热门文章一</a></li><li><a href="/b">热门文章二</a></li></ul></div>
<article><h1>会议召开</h1>
<p>6月16日，国家邮政局党组书记、局长马军胜主持召开党组会议，传达学习重要指示精神，听取2021年寄递渠道平安建设考核情况报告，强调全系统全行业要进一步提高政治站位。</p>
<p>会议指出，要落实落细党中央的要求，高效统筹疫情防控和邮政快递业改革发展，统筹发展和安全，充分发挥行业服务生产、促进消费和畅通循环的重要作用。</p>
<p>会议强调，要全面落实总体国家安全观，坚持底线思维，增强风险意识，及时排查化解各领域风险隐患，确保寄递渠道安全畅通和行业安全稳定。</p>
</article><footer><p>京ICP备18014261号-2</p></footer></body></html>"#;
    let run = |mode: MainContent, text: &str| {
        Pipeline::builder()
            .main_content_mode(mode)
            .boilerplate(false)
            .build()
            .unwrap()
            .run_str(text)
            .unwrap()
            .0
    };
    let whole = run(MainContent::Off, page);
    assert!(whole.contains("热门文章一"));
    // A whole page gets its article by default, and with --main-content.
    for mode in [MainContent::Pages, MainContent::Always] {
        let main = run(mode, page);
        assert!(!main.contains("热门文章一"), "{main}");
        assert!(main.contains("会议强调，要全面落实总体国家安全观"));
        assert!(main.contains("6月16日"));
        // The headline without the channel the page title adds.
        assert!(main.starts_with("会议召开\n"), "{main}");
    }
    // A fragment (no doctype, html, head or body) is converted whole unless asked.
    let fragment = &page[page.find("<nav>").unwrap()..page.find("</body>").unwrap()];
    assert!(run(MainContent::Pages, fragment).contains("热门文章一"));
    assert!(!run(MainContent::Always, fragment).contains("热门文章一"));
}

/// A hostile page nested 20,000 deep is converted whole, at once, instead of stalling the
/// main-content search.
#[test]
fn a_deeply_nested_page_is_converted_whole() {
    let page = format!(
        "<!doctype html><html><body>{}国家邮政局召开会议。{}</body></html>",
        "<div>".repeat(20_000),
        "</div>".repeat(20_000)
    );
    let start = std::time::Instant::now();
    let (text, report) = Pipeline::builder().build().unwrap().run_str(&page).unwrap();
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    assert_eq!(text.trim(), "国家邮政局召开会议。");
    let html = &report.stages[0];
    assert_eq!(html.detail["main_content"], "nested too deep: whole page");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn html_stage_on_arbitrary_text(
        s in r#"([<>/!\-&#;a-z "'=\n 中文段落。，]|<p>|</p>|<script>|</script>|<!--|-->|<br>|&amp;|&#x904E;){0,80}"#,
        cut in 0usize..400,
    ) {
        let run = |cuts: &[usize]| {
            let p = Pipeline::builder().html(Html::Always).only(&["html"]).unwrap().build().unwrap();
            run_chunked_in(p, &s, cuts)
        };
        let whole = run(&[]);
        prop_assert_eq!(run(&[cut]), whole.clone());
        prop_assert!(whole.len() <= s.len() * 2 + 1);
    }

    #[test]
    fn all_stages_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let p = Pipeline::builder().html(Html::Always).encoding("utf-8").unwrap().build().unwrap();
        if let Ok((out, _)) = p.run_bytes(&bytes) {
            prop_assert!(String::from_utf8(out).is_ok());
        }
    }
}

#[test]
fn long_lines_stream_through_unchanged() {
    // Lines over 64 KiB are passed through in pieces by reflow and boilerplate: the output is
    // the input, however it is chunked, CRLF endings cut between '\r' and '\n' included.
    let para = "鼠标里面的硅二极管坏了，导致光标分辨率降低。".repeat(4000);
    let text = format!("标题\r\n{para}\r\n{para}\n短行\n");
    for stages in [
        &["reflow"][..],
        &["boilerplate"][..],
        &["reflow", "boilerplate"][..],
    ] {
        let run = |cuts: &[usize]| {
            run_chunked_in(
                Pipeline::builder().only(stages).unwrap().build().unwrap(),
                &text,
                cuts,
            )
        };
        assert_eq!(run(&[]), text, "{stages:?}");
        let cr = text.find("\r\n").unwrap() + para.len() + 7;
        let cuts: Vec<usize> = (1..40).map(|i| i * 9973).chain([cr]).collect();
        let mut sorted = cuts.clone();
        sorted.sort();
        assert_eq!(run(&sorted), text, "{stages:?} chunked");
    }
}

/// `run_texts` gives what `run_text` gives for each document, in order, whatever the threads,
/// with forked pipelines (a config target) and built ones (a script target to detect from).
#[test]
fn run_texts_is_run_text_for_each() {
    let mut texts: Vec<String> = Vec::new();
    for dir in ["samples/clean", "samples/repair", "samples/convert"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            texts.push(std::fs::read_to_string(&path).unwrap());
        }
    }
    texts.push(String::new());
    texts.push("<p>头发很长。</p>".into());
    texts.push("業(yè)務(wù)繁忙。\n".into());
    texts.push("头发\n".repeat(300_000));
    let texts: Vec<String> = texts
        .iter()
        .cycle()
        .take(texts.len() * 5)
        .cloned()
        .collect();
    for to in ["s2twp", "tw", "simplified"] {
        let b = PipelineBuilder::default().target(to.parse().unwrap());
        let want: Vec<String> = texts
            .iter()
            .map(|t| b.build().unwrap().run_text(t).unwrap())
            .collect();
        for threads in [1, 3, 0] {
            let got: Vec<String> = b
                .run_texts(&texts, threads)
                .unwrap()
                .into_iter()
                .map(|r| r.unwrap())
                .collect();
            assert!(got == want, "--to {to}, {threads} threads");
        }
    }
}
