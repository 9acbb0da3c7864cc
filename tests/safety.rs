//! Data safety in folder mode and with `-o`: what is an input, what is never touched, backups,
//! interrupts, hostile names, failing standard streams. Each test names the hazard it guards.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;

fn zhtidy() -> Command {
    Command::cargo_bin("zhtidy").unwrap()
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("zhtidy")
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

fn temporaries(dir: &Path) -> Vec<String> {
    files(dir)
        .into_iter()
        .filter(|f| f.contains(".zhtidy-") || f.contains("zhtidy-") && f.ends_with(".tmp"))
        .collect()
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01binary\xff\xfe";

#[test]
fn jsonl_folder_mode_touches_only_json_lines_files() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path();
    fs::write(t.join("img.png"), PNG).unwrap();
    fs::write(t.join("notes.txt"), "软件\n").unwrap();
    fs::write(t.join("a.jsonl"), "{\"text\":\"软件\"}\n").unwrap();
    zhtidy()
        .args(["--jsonl", "--in-place", "--to", "tw"])
        .arg(t)
        .assert()
        .success()
        .stderr(predicate::str::contains("1 file written"));
    assert_eq!(fs::read(t.join("img.png")).unwrap(), PNG);
    assert_eq!(fs::read_to_string(t.join("notes.txt")).unwrap(), "软件\n");
    assert_eq!(
        fs::read_to_string(t.join("a.jsonl")).unwrap(),
        "{\"text\":\"軟件\"}\n"
    );
    // --glob selects what is JSON Lines whatever its name.
    fs::write(t.join("b.ndjson"), "{\"text\":\"软件\"}\n").unwrap();
    zhtidy()
        .args(["--jsonl", "--in-place", "--to", "tw", "-g", "*.ndjson"])
        .arg(t)
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(t.join("b.ndjson")).unwrap(),
        "{\"text\":\"軟件\"}\n"
    );
    assert_eq!(fs::read(t.join("img.png")).unwrap(), PNG);
}

#[test]
fn json_lines_files_keep_their_records_in_a_plain_folder_run() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    // Records whose text reflow would join to the next line if the file were prose: each
    // ends mid-sentence, without closing punctuation.
    let records: String = (0..20)
        .map(|i| format!("{{\"id\":{i},\"text\":\"国家邮政局召开会议部署旺季服务保障工作要求各地加强协调配合做好第{i}项\"}}\n"))
        .collect();
    fs::write(src.join("corpus.jsonl"), &records).unwrap();
    let out = dir.path().join("out");
    zhtidy()
        .args(["--to", "tw", "--out-dir"])
        .arg(&out)
        .arg(&src)
        .assert()
        .success();
    let got = fs::read_to_string(out.join("corpus.jsonl")).unwrap();
    assert_eq!(got.lines().count(), 20, "one record per line: {got}");
    for (i, line) in got.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["id"], i);
        assert!(v["text"].as_str().unwrap().starts_with("國家郵政局"));
    }
}

#[test]
fn structured_files_are_converted_only_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    // A subtitle file: numbered cues and short lines that reflow would join, and a CSV whose
    // ASCII commas between Chinese fields punctuation repair might widen.
    let srt = "1\n00:00:01,000 --> 00:00:02,000\n国家邮政局召开会议\n\n2\n00:00:03,000 --> 00:00:04,000\n部署旺季服务保障工作\n";
    let csv = "名称,数量,备注\n快遞業(yè)務,3,国家邮政局\n";
    let code = "// 软件\nfn main() { println!(\"软件\"); }\n";
    fs::write(src.join("a.srt"), srt).unwrap();
    fs::write(src.join("b.csv"), csv).unwrap();
    fs::write(src.join("c.rs"), code).unwrap();
    let out = dir.path().join("out");
    zhtidy()
        .args(["--to", "t", "--out-dir"])
        .arg(&out)
        .arg(&src)
        .assert()
        .success();
    let conv = |s: &str| zhtidy::convert::Converter::new(zhtidy::convert::Config::S2t).convert(s);
    assert_eq!(fs::read_to_string(out.join("a.srt")).unwrap(), conv(srt));
    assert_eq!(fs::read_to_string(out.join("b.csv")).unwrap(), conv(csv));
    assert_eq!(fs::read_to_string(out.join("c.rs")).unwrap(), conv(code));
    // skip: left out with a note; prose: cleaned as text (the annotation goes).
    let skipped = dir.path().join("skipped");
    zhtidy()
        .args(["--to", "t", "--structured", "skip", "--out-dir"])
        .arg(&skipped)
        .arg(&src)
        .assert()
        .success()
        .stderr(predicate::str::contains("b.csv: skipped: structured text"));
    assert!(!skipped.join("b.csv").exists());
    let prose = dir.path().join("prose");
    zhtidy()
        .args(["--to", "t", "--structured", "prose", "--out-dir"])
        .arg(&prose)
        .arg(&src)
        .assert()
        .success();
    assert!(!fs::read_to_string(prose.join("b.csv"))
        .unwrap()
        .contains("(yè)"));
}

#[test]
fn documents_sharing_paragraphs_keep_their_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("reposts");
    fs::create_dir_all(&src).unwrap();
    let shared = [
        "國家郵政局召開會議，部署旺季服務保障工作，要求各地加強協調配合。",
        "快遞業務量再創新高，全國日均攬收包裹超過六億件，同比增長明顯。",
        "農村寄遞物流體系建設加快推進，快遞進村覆蓋率進一步提升。",
    ];
    let menu = "首頁 新聞中心 財經頻道 科技頻道";
    let footer = "網站導航 關於我們 招聘信息 友情鏈接";
    for i in 0..12 {
        // Re-posts: the same paragraphs, one of their own; the site's menu and footer.
        let own = format!("第{i}篇轉載的編者按，說明轉載的來源和日期，各篇不同。");
        let text = format!(
            "{menu}\n{own}\n{}\n{}\n{}\n{footer}\n",
            shared[0], shared[1], shared[2]
        );
        fs::write(src.join(format!("{i:02}.txt")), text).unwrap();
    }
    // A document of nothing but short lines that other documents share (poems re-posted).
    let poem = "床前明月光\n疑是地上霜\n舉頭望明月\n低頭思故鄉\n";
    for i in 0..4 {
        fs::write(src.join(format!("poem{i}.txt")), poem).unwrap();
    }
    let out = dir.path().join("out");
    zhtidy()
        .arg("--out-dir")
        .arg(&out)
        .arg(&src)
        .assert()
        .success();
    for i in 0..12 {
        let got = fs::read_to_string(out.join(format!("{i:02}.txt"))).unwrap();
        for p in shared {
            assert!(got.contains(p), "{i:02}.txt lost its body:\n{got}");
        }
        assert!(!got.contains(footer), "{i:02}.txt kept the footer:\n{got}");
        assert!(!got.contains(menu), "{i:02}.txt kept the menu:\n{got}");
    }
    for i in 0..4 {
        let got = fs::read_to_string(out.join(format!("poem{i}.txt"))).unwrap();
        assert_eq!(got, poem);
    }
}

/// Waits until `dir` holds a temporary file of a run (or `limit` passes).
fn wait_for_temporary(dir: &Path, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if !temporaries(dir).is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

#[cfg(unix)]
fn signal(child: &std::process::Child, sig: i32) {
    // SAFETY: sends a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

/// `-o FILE` from a named pipe: the run waits for input with its temporary file open, and an
/// interrupt removes it.
#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_temporary_file() {
    for (sig, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("in.fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo with a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let out = dir.path().join("out.txt");
        let mut child = StdCommand::new(bin())
            .args(["--to", "tw", "-o"])
            .arg(&out)
            .arg(&fifo)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut writer = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        writer
            .write_all("软件\n".repeat(10_000).as_bytes())
            .unwrap();
        assert!(wait_for_temporary(dir.path(), Duration::from_secs(10)));
        signal(&child, sig);
        let status = child.wait().unwrap();
        drop(writer);
        assert_eq!(status.code(), Some(code), "signal {sig}");
        assert_eq!(
            temporaries(dir.path()),
            Vec::<String>::new(),
            "signal {sig}"
        );
        assert!(!out.exists());
    }
    // In a folder run, while a large file is converted in place.
    let dir = tempfile::tempdir().unwrap();
    let original = "国家邮政局召开会议，强调全系统全行业要继续发挥核心机制作用。\n".repeat(400_000);
    fs::write(dir.path().join("big.txt"), &original).unwrap();
    fs::write(dir.path().join("small.txt"), "软件\n").unwrap();
    let child = StdCommand::new(bin())
        .args(["--to", "tw", "--in-place", "-j", "1"])
        .arg(dir.path())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = child;
    if wait_for_temporary(dir.path(), Duration::from_secs(20)) {
        signal(&child, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(temporaries(dir.path()), Vec::<String>::new());
    if status.code() == Some(143) {
        assert_eq!(
            fs::read_to_string(dir.path().join("big.txt")).unwrap(),
            original
        );
    }
}

/// SIGKILL cannot be caught: every file is its original or its complete new version, and the
/// next run removes the temporary files the killed one left.
#[cfg(unix)]
#[test]
fn a_killed_run_is_cleaned_up_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    let original = "国家邮政局召开会议，强调全系统全行业要继续发挥核心机制作用。\n".repeat(20_000);
    for i in 0..12 {
        fs::write(src.join(format!("sub/f{i}.txt")), &original).unwrap();
    }
    let converted =
        zhtidy::convert::Converter::new(zhtidy::convert::Config::S2tw).convert(&original);
    let mut left = 0;
    for round in 0..6 {
        let mut child = StdCommand::new(bin())
            .args(["--to", "tw", "--in-place", "--hidden", "-j", "2"])
            .arg(&src)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_temporary(&src, Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(round * 7));
        let _ = child.kill();
        let _ = child.wait();
        left += temporaries(&src).len();
        for i in 0..12 {
            let now = fs::read_to_string(src.join(format!("sub/f{i}.txt"))).unwrap();
            assert!(
                now == original || now == converted,
                "f{i}.txt is half-written"
            );
        }
        // Back to the originals for the next round (keeping any temporary files).
        for i in 0..12 {
            fs::write(src.join(format!("sub/f{i}.txt")), &original).unwrap();
        }
    }
    assert!(left > 0, "no run was killed while writing");
    zhtidy()
        .args(["--to", "tw", "--in-place"])
        .arg(&src)
        .assert()
        .success()
        .stderr(predicate::str::contains("left by an interrupted run"));
    assert_eq!(temporaries(&src), Vec::<String>::new());
    assert_eq!(files(&src).len(), 12);
}

#[test]
fn a_bare_file_name_is_rewritten_in_place() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("g3.txt"), "软件\n").unwrap();
    zhtidy()
        .current_dir(dir.path())
        .args(["--in-place", "--to", "tw", "g3.txt"])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(dir.path().join("g3.txt")).unwrap(),
        "軟件\n"
    );
}

#[test]
fn backups_and_output_folders_are_never_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t");
    fs::create_dir_all(&t).unwrap();
    fs::write(t.join("a.txt"), "软件和硬件\n").unwrap();
    for _ in 0..3 {
        zhtidy()
            .args(["--to", "t", "--in-place", "--backup", ".orig"])
            .arg(&t)
            .assert()
            .success();
    }
    assert_eq!(files(&t), ["a.txt", "a.txt.orig"]);
    assert_eq!(fs::read_to_string(t.join("a.txt")).unwrap(), "軟件和硬件\n");
    assert_eq!(
        fs::read_to_string(t.join("a.txt.orig")).unwrap(),
        "软件和硬件\n",
        "the Simplified original survives repeated runs"
    );
    // An output folder inside the input tree is not walked on the next run.
    for _ in 0..2 {
        zhtidy()
            .args(["--to", "t", "--out-dir"])
            .arg(t.join("out"))
            .arg(&t)
            .assert()
            .success();
    }
    assert!(!t.join("out/out").exists());
    // The input tree as its own output folder is refused, and nothing is written.
    let before = files(&t);
    zhtidy()
        .args(["--to", "t", "--out-dir"])
        .arg(&t)
        .arg(&t)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--in-place"));
    zhtidy()
        .current_dir(&t)
        .args(["--to", "t", "--out-dir", ".", "a.txt"])
        .assert()
        .code(2);
    assert_eq!(files(&t), before);
}

#[test]
fn a_backup_is_a_complete_copy_of_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path();
    // Many files on several threads, each with an older backup already there.
    for i in 0..40 {
        fs::write(
            t.join(format!("f{i}.txt")),
            format!("软件{i}\n").repeat(500),
        )
        .unwrap();
        fs::write(t.join(format!("f{i}.txt.bak")), "an old backup\n").unwrap();
    }
    zhtidy()
        .args(["--to", "t", "--in-place", "--backup", ".bak", "-j", "4"])
        .arg(t)
        .assert()
        .success();
    for i in 0..40 {
        assert_eq!(
            fs::read_to_string(t.join(format!("f{i}.txt.bak"))).unwrap(),
            format!("软件{i}\n").repeat(500)
        );
    }
    assert_eq!(temporaries(t), Vec::<String>::new());
}

#[test]
fn an_output_that_cannot_be_created_is_an_io_failure_about_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    fs::write(&input, "软件\n").unwrap();
    let target = dir.path().join("no-such-folder/out.txt");
    zhtidy()
        .arg("-o")
        .arg(&target)
        .arg(&input)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot write"))
        .stderr(predicate::str::contains("no-such-folder/out.txt"))
        .stderr(predicate::str::contains("zhtidy-").not());
}

#[cfg(target_os = "linux")]
#[test]
fn a_standard_error_that_cannot_be_written_is_no_panic() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), "软件\n").unwrap();
    let full = || {
        fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let status = StdCommand::new(bin())
        .args(["--to", "tw", "--in-place"])
        .arg(dir.path())
        .stderr(full())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let status = StdCommand::new(bin())
        .args(["--to", "tw", "--in-place", "missing-input"])
        .arg(dir.path())
        .stderr(full())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let status = StdCommand::new(bin())
        .args(["--to", "tw", "--report"])
        .arg(dir.path().join("a.txt"))
        .stdout(Stdio::null())
        .stderr(full())
        .status()
        .unwrap();
    assert_ne!(status.code(), Some(101), "a panic");
}

#[cfg(unix)]
#[test]
fn check_answers_the_same_when_its_reader_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..200 {
        fs::write(
            dir.path().join(format!("f{i:03}.txt")),
            "快遞業(yè)務旺季,國家郵政局召開會議\n",
        )
        .unwrap();
    }
    for args in [vec!["--check"], vec!["--check", "-j", "1"]] {
        let mut child = StdCommand::new(bin())
            .args(&args)
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The reader goes away at once, as `| grep -q .` does after the first line.
        drop(child.stdout.take());
        assert_eq!(child.wait().unwrap().code(), Some(1), "{args:?}");
    }
    let mut child = StdCommand::new(bin())
        .arg("--check")
        .args((0..200).map(|i| dir.path().join(format!("f{i:03}.txt"))))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn a_missing_input_is_reported_and_the_others_are_processed() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), "软件\n").unwrap();
    zhtidy()
        .args(["--to", "tw", "--in-place", "missing-input"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing-input"))
        .stderr(predicate::str::contains(
            "1 file written, 0 skipped, 1 failed",
        ));
    assert_eq!(
        fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "軟件\n"
    );
}

#[cfg(unix)]
#[test]
fn files_keep_their_owner_and_group() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // SAFETY: reads the process's effective user id.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: only root can give files to another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    let single = dir.path().join("b.txt");
    for f in [&file, &single] {
        fs::write(f, "软件\n").unwrap();
        std::os::unix::fs::chown(f, Some(65534), Some(65534)).unwrap();
        fs::set_permissions(f, fs::Permissions::from_mode(0o640)).unwrap();
    }
    zhtidy()
        .args(["--to", "tw", "--in-place"])
        .arg(&file)
        .assert()
        .success();
    zhtidy()
        .args(["--to", "tw", "-o"])
        .arg(&single)
        .arg(&single)
        .assert()
        .success();
    for f in [&file, &single] {
        let m = fs::metadata(f).unwrap();
        assert_eq!((m.uid(), m.gid()), (65534, 65534), "{f:?}");
        assert_eq!(m.permissions().mode() & 0o7777, 0o640);
        assert_eq!(fs::read_to_string(f).unwrap(), "軟件\n");
    }
}

#[cfg(unix)]
#[test]
fn hostile_file_names_are_escaped_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\n\u{1b}[31mred.txt";
    fs::write(dir.path().join(name), "快遞業(yè)務\n").unwrap();
    let out = zhtidy()
        .arg("--check")
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(!out.contains('\u{1b}'), "{out:?}");
    assert!(out.contains("evil\\n\\u{1b}[31mred.txt"), "{out:?}");
    for line in out.lines() {
        assert!(line.contains("evil"), "a forged line: {line:?}");
    }
}

/// A file name that is not UTF-8 stays recoverable in the JSON report (`path_bytes`).
#[cfg(target_os = "linux")]
#[test]
fn reports_keep_names_that_are_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let raw: &[u8] = b"gbk-\xd6\xd0\xce\xc4.txt";
    let path = dir.path().join(std::ffi::OsStr::from_bytes(raw));
    fs::write(&path, "软件\n").unwrap();
    for folder in [false, true] {
        let report = dir.path().join(format!("r{folder}.jsonl"));
        let mut cmd = zhtidy();
        cmd.arg(format!("--report={}", report.display()))
            .args(["--to", "tw"]);
        if folder {
            cmd.arg("--out-dir")
                .arg(dir.path().join("out"))
                .arg(dir.path().join("in"));
            fs::create_dir_all(dir.path().join("in")).unwrap();
            fs::copy(
                &path,
                dir.path().join("in").join(std::ffi::OsStr::from_bytes(raw)),
            )
            .unwrap();
        } else {
            cmd.arg(&path);
        }
        cmd.assert().success();
        let line = fs::read_to_string(&report).unwrap();
        let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
        let bytes: Vec<u8> = v["path_bytes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap() as u8)
            .collect();
        assert!(bytes.ends_with(raw), "{folder}: {v}");
    }
}

/// A hostile page (one tag with hundreds of thousands of attributes, a huge attribute value,
/// tag name or comment) is cut at the tag, reported, and costs no more than an ordinary page:
/// the text around it stays.
#[test]
fn hostile_tags_are_cut_and_the_text_stays() {
    let attrs: String = (0..320_000).map(|i| format!(" a{i}")).collect();
    let big = "x".repeat(20_000_000);
    for (what, page) in [
        ("attributes", format!("<!doctype html><html><body><p>前文</p><div{attrs}>中间</div><p>后文</p></body></html>")),
        ("value", format!("<!doctype html><html><body><p>前文</p><img alt=\"{big}\"><p>后文</p></body></html>")),
        ("comment", format!("<html><body><p>前文</p><!--{big}--><p>后文</p></body></html>")),
        ("name", format!("<html><body><p>前文</p><a{big}><p>后文</p></body></html>")),
    ] {
        for mode in ["--keep-page", "--main-content"] {
            let start = std::time::Instant::now();
            let out = zhtidy()
                .args([mode, "--report"])
                .write_stdin(page.clone())
                .assert()
                .success()
                .get_output()
                .clone();
            // Generous: the quadratic tokenizer took minutes on the attributes.
            assert!(start.elapsed().as_secs() < 20, "{what} {mode}: {:?}", start.elapsed());
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(text.contains("前文") && text.contains("后文"), "{what} {mode}: {text}");
            let report = String::from_utf8(out.stderr).unwrap();
            assert!(report.contains("\"cut_tags\":1"), "{what} {mode}: {report}");
        }
    }
}

/// The convert stage's change count in a `--report` line.
fn convert_changes(stderr: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().find(|l| l.starts_with('{')).expect("a report");
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "convert")
        .expect("a convert entry")["changes"]
        .as_u64()
        .unwrap()
}

#[test]
fn report_counts_do_not_depend_on_threads_or_reading() {
    let dir = tempfile::tempdir().unwrap();
    for (config, sample) in [
        ("s2twp", "news-simplified.txt"),
        ("tw2sp", "news-traditional-tw.txt"),
        ("hk2s", "news-simplified.txt"),
    ] {
        let text = fs::read(format!(
            "{}/samples/convert/{sample}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        // Large enough for -j to cut it into blocks.
        let path = dir.path().join(format!("{config}.txt"));
        fs::write(&path, text.repeat(400)).unwrap();
        let run = |threads: &str, stdin: bool| {
            let mut cmd = zhtidy();
            cmd.args([
                "--only", "convert", "--to", config, "--report", "-j", threads,
            ]);
            if stdin {
                cmd.pipe_stdin(&path).unwrap();
            } else {
                cmd.arg(&path);
            }
            let out = cmd.output().unwrap();
            assert!(out.status.success());
            convert_changes(&out.stderr)
        };
        let serial = run("1", false);
        assert_eq!(run("2", false), serial, "{config}: -j 2 against -j 1");
        assert_eq!(
            run("1", true),
            serial,
            "{config}: standard input against a file"
        );
    }
}

#[test]
fn json_lines_messages_and_reports_come_in_line_order_with_threads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let block = "{\"text\":\"头发1\"}\nnot json\n{\"text\":\"头发2\"}\n";
    fs::write(&path, block.repeat(600)).unwrap();
    for threads in ["1", "2"] {
        let out = zhtidy()
            .args([
                "--jsonl",
                "--to",
                "tw",
                "--report",
                "--skip-bad-lines",
                "-j",
            ])
            .arg(threads)
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success());
        let stderr = String::from_utf8(out.stderr).unwrap();
        let name = format!("{}:", path.display());
        // The line number each message or report is about, in the order they came.
        let lines: Vec<u64> = stderr
            .lines()
            .filter_map(|l| {
                let at = l.find(&name)? + name.len();
                let digits: String = l[at..].chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            })
            .collect();
        assert_eq!(lines.len(), 1800, "-j {threads}");
        assert!(
            lines.windows(2).all(|w| w[0] < w[1]),
            "-j {threads}: out of order"
        );
    }
}

/// A 2 MB tmpfs, unmounted when dropped (Linux, as root; `None` otherwise).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: geteuid has no preconditions.
            if unsafe { libc::geteuid() } != 0 {
                return None;
            }
            let dir = tempfile::tempdir().ok()?;
            let ok = StdCommand::new("mount")
                .args(["-t", "tmpfs", "-o", "size=2M", "tmpfs"])
                .arg(dir.path())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            ok.then_some(SmallDisk { dir })
        }
        #[cfg(not(target_os = "linux"))]
        None
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk up to `free` bytes left (roughly: tmpfs counts pages).
    fn fill(&self, free: u64) {
        let filler = self.path().join("filler");
        let mut f = fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        drop(f);
        let len = fs::metadata(&filler).unwrap().len();
        fs::OpenOptions::new()
            .write(true)
            .open(&filler)
            .unwrap()
            .set_len(len.saturating_sub(free))
            .unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_loses_nothing() {
    let Some(disk) = SmallDisk::mount() else {
        eprintln!("skipped: a full disk needs root to mount a small tmpfs");
        return;
    };
    let t = disk.path().join("tree");
    fs::create_dir(&t).unwrap();
    let original = "国家邮政局召开会议，强调全系统全行业要继续发挥核心机制作用。\n".repeat(4000);
    fs::write(t.join("a.txt"), &original).unwrap();
    fs::write(t.join("a.txt.orig"), "the version before\n").unwrap();
    fs::write(t.join("b.jsonl"), "{\"text\":\"软件\"}\n".repeat(20000)).unwrap();
    let jsonl = fs::read(t.join("b.jsonl")).unwrap();
    fs::write(disk.path().join("out.txt"), "an earlier output\n").unwrap();
    disk.fill(64 * 1024);

    // In place, with and without a backup: each file reported, the run goes on, exit 1.
    for backup in [false, true] {
        let mut cmd = zhtidy();
        cmd.args(["--to", "tw", "--in-place"]);
        if backup {
            cmd.args(["--backup", ".orig"]);
        }
        cmd.arg(&t)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("a.txt"))
            .stderr(predicate::str::contains("b.jsonl"));
        assert_eq!(fs::read_to_string(t.join("a.txt")).unwrap(), original);
        assert_eq!(fs::read(t.join("b.jsonl")).unwrap(), jsonl);
        let backup_now = fs::read_to_string(t.join("a.txt.orig")).unwrap();
        assert!(
            backup_now == "the version before\n" || backup_now == original,
            "the backup is neither the old one nor a complete copy"
        );
        assert_eq!(temporaries(disk.path()), Vec::<String>::new());
    }

    // -o: the earlier output stays whole, the failure names it.
    zhtidy()
        .args(["--to", "tw", "-o"])
        .arg(disk.path().join("out.txt"))
        .arg(t.join("a.txt"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("out.txt"))
        .stderr(predicate::str::contains("zhtidy-").not())
        .stderr(predicate::str::contains("because an input failed").not())
        // The OS error once, not repeated by a chain of causes.
        .stderr(predicate::function(|e: &str| {
            e.matches("os error").count() == 1
        }));
    assert_eq!(
        fs::read_to_string(disk.path().join("out.txt")).unwrap(),
        "an earlier output\n"
    );
    assert_eq!(temporaries(disk.path()), Vec::<String>::new());
}
