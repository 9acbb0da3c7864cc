//! The command line as a user meets it: pipes, files, output files, reports, errors and exit
//! codes.

use std::fs;
use std::io::Write;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;

fn zhtidy() -> Command {
    Command::cargo_bin("zhtidy").unwrap()
}

/// Converts `汉字` (s2t) from standard input into `out` with `-o`.
fn convert_into(out: &std::path::Path) -> assert_cmd::assert::Assert {
    zhtidy()
        .args(["--to", "s2t", "-o"])
        .arg(out)
        .write_stdin("汉字")
        .assert()
}

fn samples() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/convert")
}

#[test]
fn converts_stdin_to_stdout() {
    zhtidy()
        .args(["--to", "s2twp"])
        .write_stdin("鼠标里面的硅二极管坏了")
        .assert()
        .success()
        .stdout("滑鼠裡面的矽二極體壞了")
        .stderr("");
}

#[test]
fn dash_means_stdin_and_aliases_detect_the_source() {
    zhtidy()
        .args(["--to", "tw", "-"])
        .write_stdin("软件\n")
        .assert()
        .success()
        .stdout("軟件\n");
    zhtidy()
        .args(["--to", "tw-phrases"])
        .write_stdin("软件\n")
        .assert()
        .success()
        .stdout("軟體\n");
    zhtidy()
        .args(["--to", "simplified"])
        .write_stdin("軟體與網路\n")
        .assert()
        .success()
        .stdout("软体与网路\n");
    zhtidy()
        .args(["--to", "cn", "--from", "tw"])
        .write_stdin("軟體與網路\n")
        .assert()
        .success()
        .stdout("软件与网络\n");
    // Already in the target script: unchanged.
    zhtidy()
        .args(["--to", "simplified"])
        .write_stdin("软件\n")
        .assert()
        .success()
        .stdout("软件\n");
}

#[test]
fn golden_samples_match_opencc() {
    for entry in fs::read_dir(samples()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let parts: Vec<&str> = name.split('.').collect();
        if parts.len() != 3 {
            continue;
        }
        let (stem, config) = (parts[0], parts[1]);
        let input = samples().join(format!("{stem}.txt"));
        let expected = fs::read(&path).unwrap();
        zhtidy()
            .args(["--only", "convert", "--to", config])
            .arg(&input)
            .assert()
            .success()
            .stdout(expected);
    }
}

#[test]
fn output_file_is_written_atomically_and_keeps_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    fs::write(&out, "old").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
    }
    convert_into(&out).success().stdout("");
    assert_eq!(fs::read_to_string(&out).unwrap(), "漢字");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
    // A failing input leaves the old file untouched and no temporary file behind.
    let bin = dir.path().join("bin.dat");
    fs::write(&bin, b"\x00\x01\x02\x03binary\x00").unwrap();
    zhtidy()
        .args(["--to", "s2t", "-o"])
        .arg(&out)
        .arg(&bin)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("binary"));
    assert_eq!(fs::read_to_string(&out).unwrap(), "漢字");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
}

/// `-o` on something that is not a regular file writes into it: renaming a temporary file over
/// `/dev/null` or a named pipe would replace it with a regular file. A symbolic link is followed.
#[cfg(unix)]
#[test]
fn output_to_a_pipe_or_through_a_link_is_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.txt");
    let link = dir.path().join("link.txt");
    fs::write(&real, "old").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    convert_into(&link).success();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(&real).unwrap(), "漢字");

    let fifo = dir.path().join("pipe");
    let made = StdCommand::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped the named-pipe half: mkfifo is not available");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    convert_into(&fifo).success();
    assert_eq!(reader.join().unwrap(), "漢字");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "no temporary file left: {names:?}");
}

#[test]
fn errors_have_messages_and_exit_codes() {
    zhtidy()
        .arg("/nonexistent/file.txt")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/nonexistent/file.txt"));
    zhtidy()
        .arg(env!("CARGO_MANIFEST_DIR"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "a folder needs --out-dir DIR, --in-place or --check",
        ));
    zhtidy()
        .args(["--to", "martian"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'martian' for '--to",
        ))
        .stderr(predicate::str::contains("s2twp, tw2sp"));
    zhtidy()
        .args(["--only", "nonsense", "--to", "s2t"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'nonsense' for '--only",
        ))
        .stderr(predicate::str::contains("boilerplate, convert"));
    zhtidy()
        .args(["--encoding", "klingon"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown encoding"));
    zhtidy()
        .args(["--only", "convert"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("target"));
    zhtidy()
        .args(["--to", "t2s", "--output-encoding", "big5"])
        .write_stdin("第一行\n國家")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("line 2, column 1"));
}

#[test]
fn one_bad_file_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    fs::write(&good, "汉字\n").unwrap();
    zhtidy()
        .args(["--to", "s2t"])
        .arg(dir.path().join("missing.txt"))
        .arg(&good)
        .assert()
        .code(1)
        .stdout("漢字\n")
        .stderr(predicate::str::contains("missing.txt"));
}

#[test]
fn report_is_one_json_line_per_document() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.txt");
    fs::write(&a, "国家邮政局召开会议").unwrap();
    fs::write(
        &b,
        encoding_rs::BIG5
            .encode("國家郵政局召開會議，強調繼續發揮作用")
            .0,
    )
    .unwrap();
    let out = zhtidy()
        .args(["--to", "traditional", "--report"])
        .arg(&a)
        .arg(&b)
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["script"], "simplified");
    let convert = |l: &serde_json::Value| {
        l["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == "convert")
            .unwrap()
            .clone()
    };
    let order: Vec<&str> = lines[0]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["html", "repair", "reflow", "boilerplate", "convert"],
        "stages run in pipeline order"
    );
    assert_eq!(convert(&lines[0])["detail"]["config"], "s2t");
    let changes = convert(&lines[0])["changes"].as_u64().unwrap();
    assert!((4..=5).contains(&changes), "{changes} replacements");
    assert_eq!(lines[1]["encoding"]["name"], "Big5");
    assert_eq!(lines[1]["script"], "traditional");
    assert!(
        lines[1]["stages"][0]["detail"]["config"].is_null(),
        "already traditional: nothing to do"
    );
    // --report=FILE
    let rep = dir.path().join("r.jsonl");
    zhtidy()
        .args(["--to", "s2t"])
        .arg(format!("--report={}", rep.display()))
        .arg(&a)
        .assert()
        .success()
        .stderr("");
    assert_eq!(fs::read_to_string(&rep).unwrap().lines().count(), 1);
}

#[test]
fn user_dictionaries_override_built_in_entries() {
    let dir = tempfile::tempdir().unwrap();
    let dict = dir.path().join("my.txt");
    fs::write(&dict, "# my terms\n软件\t軟體\n数据库\t資料庫 数据库\n").unwrap();
    zhtidy()
        .args(["--to", "s2t", "--dict"])
        .arg(&dict)
        .write_stdin("软件和数据库")
        .assert()
        .success()
        .stdout("軟體和資料庫");
    fs::write(&dict, "no tab here\n").unwrap();
    zhtidy()
        .args(["--to", "s2t", "--dict"])
        .arg(&dict)
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 1"));
}

#[test]
fn list_configs_and_help() {
    zhtidy()
        .arg("--list-configs")
        .assert()
        .success()
        .stdout(predicate::str::contains("s2twp").and(predicate::str::contains("jp2t")));
    zhtidy()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("tw-phrases"));
}

#[test]
fn decodes_legacy_encodings_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let gbk = dir.path().join("gbk.txt");
    fs::write(
        &gbk,
        encoding_rs::GBK
            .encode("国家邮政局召开电视电话会议，强调继续发挥作用。")
            .0,
    )
    .unwrap();
    zhtidy()
        .args(["--to", "s2t"])
        .arg(&gbk)
        .assert()
        .success()
        .stdout("國家郵政局召開電視電話會議，強調繼續發揮作用。");
    zhtidy()
        .args(["--output-encoding", "gbk"])
        .arg(&gbk)
        .assert()
        .success()
        .stdout(fs::read(&gbk).unwrap());
}

#[test]
fn broken_pipe_exits_quietly_with_zero() {
    let big = "鼠标里面的硅二极管坏了\n".repeat(200_000);
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("zhtidy"))
        .args(["--to", "s2t"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(big.as_bytes());
    });
    drop(child.stdout.take()); // the reader goes away at once
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn parallel_output_and_report_equal_serial() {
    let dir = tempfile::tempdir().unwrap();
    let sample = fs::read_to_string(samples().join("news-simplified.txt")).unwrap();
    // Over two 4 MiB blocks, plus a case without any newline (falls back to serial).
    let multi = dir.path().join("multi.txt");
    fs::write(&multi, sample.repeat(12 * 1024 * 1024 / sample.len())).unwrap();
    let single = dir.path().join("single.txt");
    fs::write(
        &single,
        sample
            .replace('\n', "")
            .repeat(6 * 1024 * 1024 / sample.len()),
    )
    .unwrap();
    // Only line-local stages run in blocks: html, reflow and boilerplate read the document whole
    // (with them, -j says it has no effect).
    zhtidy()
        .args(["-j", "3", "--to", "tw"])
        .arg(&multi)
        .assert()
        .success()
        .stderr(predicate::str::contains("-j has no effect"));
    for (input, target) in [(&multi, "tw-phrases"), (&multi, "s2hk"), (&single, "s2twp")] {
        let run = |j: &str| {
            let out = zhtidy()
                .args([
                    "-j",
                    j,
                    "--only",
                    "repair,convert",
                    "--to",
                    target,
                    "--report",
                ])
                .arg(input)
                .assert()
                .success();
            let o = out.get_output();
            (
                o.stdout.clone(),
                String::from_utf8(o.stderr.clone()).unwrap(),
            )
        };
        let (serial, serial_report) = run("1");
        let (parallel, parallel_report) = run("3");
        assert!(
            serial == parallel,
            "{target}: -j 3 output differs from -j 1"
        );
        assert_eq!(serial_report, parallel_report, "{target}");
    }
}

#[test]
fn check_lists_repairs_and_sets_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let garbled = dir.path().join("g.txt");
    fs::write(&garbled, "第一行\n快遞業(yè)務旺季,國家郵政局召開會議\n").unwrap();
    let clean = dir.path().join("c.txt");
    fs::write(&clean, "国家邮政局召开会议。\n").unwrap();
    zhtidy()
        .arg("--check")
        .arg(&garbled)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "g.txt:2:4: fix pinyin_annotation: \"(yè)\" -> \"\"",
        ))
        .stdout(predicate::str::contains("fix punctuation"));
    zhtidy()
        .arg("--check")
        .arg(&clean)
        .assert()
        .code(0)
        .stdout("");
    zhtidy()
        .args(["--check", "--to", "tw"])
        .arg(&clean)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("convert"));
    zhtidy()
        .arg("--check")
        .arg(dir.path().join("missing"))
        .assert()
        .code(2);
    // --check never writes the text.
    assert_eq!(
        fs::read_to_string(&garbled).unwrap(),
        "第一行\n快遞業(yè)務旺季,國家郵政局召開會議\n"
    );
}

#[test]
fn repair_runs_by_default_and_fixes_can_be_switched_off() {
    zhtidy()
        .write_stdin("快遞業(yè)務")
        .assert()
        .success()
        .stdout("快遞業務");
    zhtidy()
        .args(["--no-fix", "pinyin_annotation"])
        .write_stdin("快遞業(yè)務")
        .assert()
        .success()
        .stdout("快遞業(yè)務");
    zhtidy()
        .args(["--only", "convert", "--to", "t2s"])
        .write_stdin("快遞業(yè)務")
        .assert()
        .success()
        .stdout("快递业(yè)务");
    zhtidy()
        .args(["--to", "t2s"])
        .write_stdin("快遞業(yè)務")
        .assert()
        .success()
        .stdout("快递业务");
    zhtidy()
        .args(["--no-fix", "bogus"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'bogus' for '--no-fix",
        ))
        .stderr(predicate::str::contains("pinyin_annotation"));
}

#[test]
fn completions_and_man_page() {
    zhtidy()
        .args(["--generate", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--out-dir"));
    zhtidy()
        .args(["--generate", "zsh"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--jsonl"));
    zhtidy()
        .args(["--generate", "man"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH zhtidy"));
    zhtidy()
        .args(["--generate", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown shell"));
}

/// `-h` is the short help, `--help` the long one; the lists in them come from the code.
#[test]
fn short_and_long_help_with_lists_from_the_code() {
    let short = zhtidy()
        .arg("-h")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let long = zhtidy()
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let (short, long) = (
        String::from_utf8(short).unwrap(),
        String::from_utf8(long).unwrap(),
    );
    assert!(
        short.lines().count() * 2 < long.lines().count(),
        "-h is not shorter"
    );
    // One line per option: no line of -h continues the one before it.
    let options = short.split("Options:").nth(1).unwrap();
    for line in options.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            line.trim_start().starts_with('-') || !line.starts_with("  "),
            "{line:?}"
        );
    }
    for (fix, _) in zhtidy::repair::FIXES {
        assert!(long.contains(fix), "--help does not list the fix {fix}");
    }
    // Completion of --to offers the configs and aliases, not file names.
    let bash = zhtidy()
        .args(["--generate", "bash"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let bash = String::from_utf8(bash).unwrap();
    for name in ["s2twp", "tw2sp", "zh-hant", "hk-phrases"] {
        assert!(bash.contains(name), "bash completion lacks {name}");
    }
    // Every alias the completion offers is one the converter takes.
    for alias in zhtidy::convert::TARGET_ALIASES {
        assert!(alias.parse::<zhtidy::convert::Target>().is_ok(), "{alias}");
        let alt = alias.replace('-', "_").to_uppercase();
        zhtidy()
            .args(["--only", "convert", "--to", &alt])
            .write_stdin("軟體")
            .assert()
            .success();
    }
}

/// Options that do nothing with the others are named on stderr, once.
#[test]
fn options_without_effect_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    let dict = dir.path().join("my.txt");
    fs::write(&dict, "软件\t軟體\n").unwrap();
    let dict = dict.to_str().unwrap();
    for (args, note) in [
        (vec!["--backup", ".orig"], "--backup has no effect"),
        (vec!["--dict", dict], "--dict has no effect"),
        (vec!["--skip-bad-lines"], "--skip-bad-lines has no effect"),
        (vec!["--ext", "txt"], "--ext has no effect"),
    ] {
        zhtidy()
            .args(&args)
            .write_stdin("软件\n")
            .assert()
            .success()
            .stderr(predicate::str::contains(note).count(1));
    }
    zhtidy()
        .args(["--to", "tw"])
        .write_stdin("软件\n")
        .assert()
        .success()
        .stderr("");
}

/// UTF-16 without a byte order mark, mostly Chinese: NULs only at its few ASCII characters.
#[test]
fn utf16_without_bom_on_cjk_heavy_text_is_text() {
    let text =
        "國家郵政局召開會議，部署旺季服務保障工作，要求各地加強協調配合，確保寄遞渠道安全暢通。\n";
    for le in [true, false] {
        let bytes: Vec<u8> = text
            .encode_utf16()
            .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
            .collect();
        zhtidy()
            .args(["--only", "convert", "--to", "t2s"])
            .write_stdin(bytes)
            .assert()
            .success()
            .stdout(zhtidy::convert::Converter::new(zhtidy::convert::Config::T2s).convert(text));
    }
}

/// A small legacy-encoded file cut inside its last character costs one U+FFFD, not the file.
#[test]
fn a_truncated_gbk_or_big5_file_keeps_its_encoding() {
    let text = "繁體中文測試文件，下載到一半";
    for enc in [encoding_rs::GBK, encoding_rs::BIG5] {
        let bytes = enc.encode(text).0;
        let cut = bytes[..bytes.len() - 1].to_vec();
        let out = zhtidy()
            .arg("--no-reflow")
            .write_stdin(cut)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.starts_with("繁體中文測試文件，下載到一"),
            "{}: {out}",
            enc.name()
        );
        assert_eq!(out.matches('\u{FFFD}').count(), 1, "{}: {out}", enc.name());
    }
}

/// `--to cn` on Traditional text uses the region's phrases when the text shows its region.
#[test]
fn mainland_phrases_from_taiwan_and_hong_kong_text() {
    for (input, expected, region) in [
        (
            "請用滑鼠點選軟體的圖示，然後開啟資料庫\n",
            "请用鼠标点击软件的图标，然后打开数据库\n",
            "\"region\":\"tw\"",
        ),
        (
            "國家郵政局召開會議\n",
            "国家邮政局召开会议\n",
            "\"region\":\"unclear\"",
        ),
    ] {
        zhtidy()
            .args(["--to", "cn", "--report"])
            .write_stdin(input)
            .assert()
            .success()
            .stdout(expected)
            .stderr(predicate::str::contains(region));
    }
}

/// A NUL byte in the first 64 KiB makes input binary; later ones pass through and are reported.
#[test]
fn nul_bytes_after_the_first_block_are_reported() {
    let mut input = "国家邮政局召开会议。\n".repeat(5000).into_bytes();
    assert!(input.len() > 64 * 1024);
    input.extend_from_slice(b"tail\x00end\n");
    let out = zhtidy()
        .args(["--only", "convert", "--to", "s2t", "--report"])
        .write_stdin(input)
        .assert()
        .success()
        .stderr(predicate::str::contains("1 NUL character passed through"))
        .stderr(predicate::str::contains("\"nul_chars\":1"))
        .get_output()
        .stdout
        .clone();
    assert!(out.ends_with(b"tail\x00end\n"));
    zhtidy()
        .write_stdin(b"\x00binary at the start".to_vec())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("binary"));
}

/// On a terminal, `zhtidy` reading standard input says so on stderr before it waits; piped, it
/// says nothing (`options_without_effect_are_noted` checks the empty stderr). The terminal is a
/// pseudo-terminal from util-linux's `script`.
#[cfg(unix)]
#[test]
fn reading_a_terminal_prints_a_hint() {
    if StdCommand::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` (util-linux) for a pseudo-terminal");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("zhtidy");
    let mut child = StdCommand::new("script")
        .args(["-qec", &format!("{} --to tw", bin.display()), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("软件\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.contains("reading standard input"), "{out}");
    assert!(out.contains("軟件"), "{out}");
}
