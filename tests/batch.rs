//! Folders, JSON Lines and co-process use: temporary trees, in-place and mirror modes, ignore
//! files and globs, binary files and symlinks, failures mid-way, killed runs, parallel runs,
//! empty environments.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;

fn zhtidy() -> Command {
    Command::cargo_bin("zhtidy").unwrap()
}

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("zhtidy")
}

/// A small tree: nested folders, a hidden file, an ignored file, a binary file, a symlink loop.
fn tree(root: &Path) {
    fs::create_dir_all(root.join("a/b")).unwrap();
    fs::create_dir_all(root.join(".hidden")).unwrap();
    fs::write(
        root.join("a/one.txt"),
        "快遞業(yè)務旺季,國家郵政局召開會議\n",
    )
    .unwrap();
    fs::write(root.join("a/b/two.txt"), "国家邮政局召开会议\n").unwrap();
    fs::write(
        root.join("a/b/big5.txt"),
        encoding_rs::BIG5.encode("繁體中文測試文件，內容不長。").0,
    )
    .unwrap();
    fs::write(root.join("a/notes.md"), "软件\n").unwrap();
    fs::write(root.join(".hidden/h.txt"), "软件\n").unwrap();
    fs::write(root.join(".gitignore"), "skip-me.txt\n").unwrap();
    fs::write(root.join("skip-me.txt"), "软件\n").unwrap();
    fs::write(root.join("a/bin.dat"), b"\x00\x01\x02binary\x00\x00").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("a"), root.join("a/b/loop")).unwrap();
}

fn files(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = walk(root)
        .into_iter()
        .map(|p| p.strip_prefix(root).unwrap().display().to_string())
        .collect();
    v.sort();
    v
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let m = fs::symlink_metadata(&p).unwrap();
        if m.is_dir() {
            out.extend(walk(&p));
        } else if m.is_file() {
            out.push(p);
        }
    }
    out
}

#[test]
fn mirror_mode_respects_ignores_hidden_binary_and_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let out = dir.path().join("out");
    tree(&src);
    zhtidy()
        .args(["--to", "tw", "--out-dir"])
        .arg(&out)
        .arg(&src)
        .assert()
        .success()
        .stderr(predicate::str::contains("bin.dat: skipped: binary"))
        .stderr(predicate::str::contains("loop: skipped: symbolic link"))
        .stderr(predicate::str::contains(
            "4 files written, 2 skipped, 0 failed",
        ));
    assert_eq!(
        files(&out),
        ["a/b/big5.txt", "a/b/two.txt", "a/notes.md", "a/one.txt"]
    );
    assert_eq!(
        fs::read_to_string(out.join("a/one.txt")).unwrap(),
        "快遞業務旺季，國家郵政局召開會議\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("a/b/two.txt")).unwrap(),
        "國家郵政局召開會議\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("a/b/big5.txt")).unwrap(),
        "繁體中文測試文件，內容不長。"
    );
    // Globs and hidden files, extension change. As in ripgrep, -g globs take precedence over
    // ignore files: skip-me.txt matches *.txt and comes back.
    let out2 = dir.path().join("out2");
    zhtidy()
        .args([
            "--to",
            "tw",
            "--hidden",
            "-g",
            "*.txt",
            "-g",
            "!two.txt",
            "--ext",
            "out",
            "--out-dir",
        ])
        .arg(&out2)
        .arg(&src)
        .assert()
        .success();
    assert_eq!(
        files(&out2),
        [".hidden/h.out", "a/b/big5.out", "a/one.out", "skip-me.out"]
    );
    let out3 = dir.path().join("out3");
    zhtidy()
        .args(["--to", "tw", "--no-ignore", "--out-dir"])
        .arg(&out3)
        .arg(&src)
        .assert()
        .success();
    assert!(files(&out3).contains(&"skip-me.txt".to_string()));
}

#[test]
fn in_place_is_atomic_keeps_permissions_and_backups() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    tree(&src);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(src.join("a/b/two.txt"), fs::Permissions::from_mode(0o640)).unwrap();
    }
    zhtidy()
        .args(["--to", "tw", "--in-place", "--backup", ".orig"])
        .arg(src.join("a"))
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(src.join("a/b/two.txt")).unwrap(),
        "國家郵政局召開會議\n"
    );
    assert_eq!(
        fs::read_to_string(src.join("a/b/two.txt.orig")).unwrap(),
        "国家邮政局召开会议\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(src.join("a/b/two.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    assert!(
        files(&src).iter().all(|f| !f.contains(".zhtidy-")),
        "no temporary files left: {:?}",
        files(&src)
    );
}

/// Output files get their source's permissions whatever the umask (the temporary file is
/// created with them when the umask allows, else changed), and a file that replaces another in
/// an existing output folder gets the replaced file's.
#[cfg(unix)]
#[test]
fn outputs_keep_permissions_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    let modes = [0o600, 0o640, 0o644, 0o664, 0o755, 0o444, 0o666];
    for (i, m) in modes.iter().enumerate() {
        let f = src.join(format!("sub/f{i}.txt"));
        fs::write(&f, format!("软件{i}\n")).unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(*m)).unwrap();
    }
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    for umask in ["022", "077", "000"] {
        let out = dir.path().join(format!("out{umask}"));
        let status = StdCommand::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask}; exec \"$0\" --to tw --out-dir \"$1\" \"$2\""
            ))
            .arg(bin())
            .arg(&out)
            .arg(&src)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        for (i, m) in modes.iter().enumerate() {
            let f = out.join(format!("sub/f{i}.txt"));
            assert_eq!(fs::read_to_string(&f).unwrap(), format!("軟件{i}\n"));
            assert_eq!(mode(&f), *m, "umask {umask}, f{i}.txt");
        }
    }
    // Into a folder that exists, over files that exist: the replaced files' permissions.
    let out = dir.path().join("out022");
    for i in 0..modes.len() {
        let f = out.join(format!("sub/f{i}.txt"));
        fs::set_permissions(&f, fs::Permissions::from_mode(0o604)).unwrap();
    }
    zhtidy()
        .args(["--to", "tw", "--out-dir"])
        .arg(&out)
        .arg(&src)
        .assert()
        .success();
    for i in 0..modes.len() {
        assert_eq!(mode(&out.join(format!("sub/f{i}.txt"))), 0o604);
    }
    assert!(files(&out).iter().all(|f| !f.contains(".zhtidy-")));
}

#[test]
fn a_file_failing_midway_leaves_no_partial_output_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    // Big5 cannot hold the Simplified characters of the second file: it fails half-way.
    fs::write(src.join("ok.txt"), "繁體\n").unwrap();
    fs::write(
        src.join("bad.txt"),
        format!("{}简体\n", "繁體\n".repeat(50_000)),
    )
    .unwrap();
    let out = dir.path().join("out");
    zhtidy()
        .args([
            "--only",
            "convert",
            "--to",
            "t2tw",
            "--output-encoding",
            "big5",
            "--out-dir",
        ])
        .arg(&out)
        .arg(&src)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bad.txt"))
        .stderr(predicate::str::contains(
            "1 file written, 0 skipped, 1 failed",
        ));
    assert_eq!(files(&out), ["ok.txt"]);
}

#[test]
fn a_killed_run_leaves_the_originals_intact() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let original = "国家邮政局召开会议，强调全系统全行业要继续发挥核心机制作用。\n".repeat(40_000);
    for i in 0..20 {
        fs::write(src.join(format!("f{i}.txt")), &original).unwrap();
    }
    let mut child = StdCommand::new(bin())
        .args(["--to", "tw", "--in-place", "-j", "2"])
        .arg(&src)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let _ = child.kill();
    let _ = child.wait();
    let converted =
        zhtidy::convert::Converter::new(zhtidy::convert::Config::S2tw).convert(&original);
    for i in 0..20 {
        let now = fs::read_to_string(src.join(format!("f{i}.txt"))).unwrap();
        assert!(
            now == original || now == converted,
            "f{i}.txt is half-written"
        );
    }
}

#[test]
fn parallel_runs_equal_serial_runs() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    tree(&src);
    for i in 0..30 {
        fs::write(
            src.join(format!("a/gen{i}.txt")),
            format!("第{i}份：快遞業(yè)務,国家邮政局\n").repeat(i + 1),
        )
        .unwrap();
    }
    let run = |j: &str, name: &str| {
        let out = dir.path().join(name);
        let rep = dir.path().join(format!("{name}.jsonl"));
        zhtidy()
            .args(["--to", "tw", "-j", j])
            .arg(format!("--report={}", rep.display()))
            .arg("--out-dir")
            .arg(&out)
            .arg(&src)
            .assert()
            .success();
        let contents: Vec<(String, Vec<u8>)> = files(&out)
            .into_iter()
            .map(|f| (f.clone(), fs::read(out.join(&f)).unwrap()))
            .collect();
        (contents, fs::read_to_string(rep).unwrap())
    };
    let (a, ra) = run("1", "serial");
    let (b, rb) = run("4", "parallel");
    assert_eq!(a, b);
    assert_eq!(ra, rb);
}

#[test]
fn check_on_folders_lists_files_that_would_change() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    tree(&src);
    zhtidy()
        .arg("--check")
        .arg(&src)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "one.txt:1:4: fix pinyin_annotation",
        ))
        .stdout(predicate::str::contains("big5.txt: encoding: Big5"));
    let clean = dir.path().join("clean");
    fs::create_dir_all(&clean).unwrap();
    fs::write(clean.join("c.txt"), "国家邮政局召开会议。\n").unwrap();
    zhtidy()
        .arg("--check")
        .arg(&clean)
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn jsonl_round_trip_with_unicode_escapes_and_compression() {
    let input = "{\"id\":1,\"text\":\"汉字\\n\\\"引号\\\"\\u4e2d\",\"extra\":[1,2.50,\"\\u00e9\"]}\n{\"id\":2,\"text\":\"\"}\n";
    zhtidy()
        .args(["--jsonl", "--to", "s2t"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout("{\"id\":1,\"text\":\"漢字\\n\\\"引號\\\"中\",\"extra\":[1,2.50,\"\\u00e9\"]}\n{\"id\":2,\"text\":\"\"}\n");
    zhtidy()
        .args(["--jsonl", "--text-key", "raw_content"])
        .write_stdin("{\"raw_content\":\"業(yè)務\"}\n")
        .assert()
        .success()
        .stdout("{\"raw_content\":\"業務\"}\n");
    // Folder mode: .jsonl.gz in, .jsonl.gz out.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all("{\"text\":\"汉字\"}\n".as_bytes()).unwrap();
    fs::write(src.join("part.jsonl.gz"), gz.finish().unwrap()).unwrap();
    let out = dir.path().join("out");
    zhtidy()
        .args(["--jsonl", "--to", "s2t", "--out-dir"])
        .arg(&out)
        .arg(&src)
        .assert()
        .success();
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(fs::File::open(out.join("part.jsonl.gz")).unwrap()),
        &mut text,
    )
    .unwrap();
    assert_eq!(text, "{\"text\":\"漢字\"}\n");
}

#[test]
fn the_summary_counts_jsonl_changes_with_or_without_reports() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(
        src.join("a.jsonl"),
        "{\"text\":\"<p>软件</p><!-- x -->开发\"}\n{\"text\":\"國家郵政局召開快遞業(yè)務(wù)會議\"}\n{\"text\":\"鼠标\"}\n",
    )
    .unwrap();
    fs::write(src.join("b.txt"), "软件开发\n").unwrap();
    let summary = |extra: &[&str], out: &str| {
        let assert = zhtidy()
            .args(["--jsonl", "--html", "--to", "tw", "-j", "1", "--out-dir"])
            .arg(dir.path().join(out))
            .args(extra)
            .arg(&src)
            .assert()
            .success();
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        stderr.split("changes: ").nth(1).unwrap().trim().to_string()
    };
    let report = dir.path().join("report.jsonl");
    let with_reports = summary(&[&format!("--report={}", report.display())], "o1");
    // What the reports count, per stage.
    let mut expected = std::collections::BTreeMap::<String, u64>::new();
    for line in fs::read_to_string(&report).unwrap().lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        for st in r["stages"].as_array().unwrap() {
            let n = st["changes"].as_u64().unwrap();
            if n > 0 {
                *expected
                    .entry(st["stage"].as_str().unwrap().into())
                    .or_default() += n;
            }
        }
    }
    let expected: Vec<String> = expected.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let expected = expected.join(", ");
    // Two tags and a comment; two pinyin annotations.
    assert!(expected.contains("html 3, repair 2"), "{expected}");
    assert_eq!(with_reports, expected);
    assert_eq!(summary(&[], "o2"), expected);
    assert_eq!(summary(&["--line-buffered"], "o3"), expected);
}

#[test]
fn jsonl_on_several_threads_equals_one_thread() {
    let mut input = String::new();
    for n in 0..3000 {
        match n % 500 {
            7 => input.push_str("{broken\n"),
            _ => input.push_str(&format!(
                "{{\"n\":{n},\"text\":\"第{n}条：软件开发<br>业(yè)务\"}}\n"
            )),
        }
    }
    // The same options for stdin and folder mode.
    let cmd = |j: &str| {
        let mut c = zhtidy();
        c.args([
            "--jsonl",
            "--html",
            "--skip-bad-lines",
            "--to",
            "tw",
            "-j",
            j,
        ]);
        c
    };
    let run = |j: &str| {
        let report = tempfile::NamedTempFile::new().unwrap();
        let out = cmd(j)
            .arg(format!("--report={}", report.path().display()))
            .write_stdin(input.clone())
            .assert()
            .success()
            .get_output()
            .clone();
        (out.stdout, out.stderr, fs::read(report.path()).unwrap())
    };
    let serial = run("1");
    assert_eq!(serial.0.iter().filter(|&&b| b == b'\n').count(), 3000);
    assert!(String::from_utf8_lossy(&serial.1).contains("6 malformed lines"));
    assert_eq!(run("3"), serial);
    assert_eq!(run("0"), serial);
    // Folder mode with one shard: its records get the threads.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("shard.jsonl"), &input).unwrap();
    let folder = |j: &str| {
        let out = dir.path().join(format!("out{j}"));
        let assert = cmd(j)
            .arg("--out-dir")
            .arg(&out)
            .arg(&src)
            .assert()
            .success();
        let stderr = assert.get_output().stderr.clone();
        (fs::read(out.join("shard.jsonl")).unwrap(), stderr)
    };
    let one = folder("1");
    assert_eq!(one.0, serial.0);
    assert_eq!(folder("3"), one);
}

#[test]
fn jsonl_reads_gbk_when_told_and_refuses_output_encodings() {
    let (gbk, _, _) = encoding_rs::GBK.encode("{\"text\":\"软件\"}\n");
    zhtidy()
        .args(["--jsonl", "--to", "s2t"])
        .write_stdin(gbk.clone().into_owned())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("line 1: not UTF-8"));
    zhtidy()
        .args(["--jsonl", "--encoding", "gbk", "--to", "s2t"])
        .write_stdin(gbk.into_owned())
        .assert()
        .success()
        .stdout("{\"text\":\"軟件\"}\n");
    for bad in [["--output-encoding", "big5"], ["--encoding", "utf-16be"]] {
        zhtidy()
            .args(["--jsonl", "--to", "s2t"])
            .args(bad)
            .write_stdin("{\"text\":\"软件\"}\n")
            .assert()
            .code(2)
            .stdout("");
    }
}

#[test]
fn check_reads_jsonl_as_records() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean");
    fs::create_dir_all(&clean).unwrap();
    fs::write(clean.join("a.jsonl"), "{\"text\":\"軟體開發\"}\n").unwrap();
    // A clean tree and a clean file: nothing to say, exit 0 (every JSON Lines file used to
    // show an encoding change, and the file was checked as one plain text).
    for path in [clean.clone(), clean.join("a.jsonl")] {
        zhtidy()
            .args(["--check", "--jsonl", "--to", "tw"])
            .arg(&path)
            .assert()
            .code(0)
            .stdout("");
    }
    let dirty = dir.path().join("dirty.jsonl");
    fs::write(&dirty, "{\"text\":\"軟體開發\"}\n{\"text\":\"软件\"}\n").unwrap();
    zhtidy()
        .args(["--check", "--jsonl", "--to", "tw"])
        .arg(&dirty)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("dirty.jsonl: convert: 1 changes"));
    let (gbk, _, _) = encoding_rs::GBK.encode("{\"text\":\"軟體\"}\n");
    zhtidy()
        .args(["--check", "--jsonl", "--encoding", "gbk", "--to", "tw"])
        .write_stdin(gbk.into_owned())
        .assert()
        .code(1)
        .stdout("-: encoding: GBK (user) -> UTF-8, 0 invalid sequences\n");
}

#[test]
fn malformed_jsonl_is_an_error_with_the_line_number_or_passed_through() {
    let input = "{\"text\":\"汉\"}\n{broken\n{\"text\":\"字\"}\n";
    zhtidy()
        .args(["--jsonl", "--to", "s2t"])
        .write_stdin(input)
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "zhtidy: -: line 2: not a JSON object",
        ));
    zhtidy()
        .args(["--jsonl", "--to", "s2t", "--skip-bad-lines"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout("{\"text\":\"漢\"}\n{broken\n{\"text\":\"字\"}\n")
        .stderr(predicate::str::contains("1 malformed lines passed through"));
}

/// Runs zhtidy with `args` and an empty environment as a co-process: sends each line and
/// checks that its answer comes back before the next line is sent.
fn exchange_line_by_line(args: &[&str], exchanges: &[(&str, &str)]) {
    let mut child = StdCommand::new(bin())
        .env_clear()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for (line, expected) in exchanges {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
        let mut got = String::new();
        stdout.read_line(&mut got).unwrap();
        assert_eq!(
            &got, expected,
            "each line comes back before the next is sent"
        );
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn works_with_an_empty_environment_and_line_by_line() {
    zhtidy()
        .env_clear()
        .args(["--to", "s2t"])
        .write_stdin("汉字\n")
        .assert()
        .success()
        .stdout("漢字\n");
    exchange_line_by_line(
        &["--line-buffered", "--to", "s2t"],
        &[("汉字\n", "漢字\n"), ("头发\n", "頭髮\n")],
    );
    // JSON Lines too: records are read ahead in batches only without --line-buffered.
    exchange_line_by_line(
        &["--jsonl", "--line-buffered", "-j", "4", "--to", "s2t"],
        &[
            ("{\"text\":\"汉字\"}\n", "{\"text\":\"漢字\"}\n"),
            (
                "{\"id\":2,\"text\":\"头发\"}\n",
                "{\"id\":2,\"text\":\"頭髮\"}\n",
            ),
        ],
    );
    zhtidy()
        .args(["--line-buffered", "--to", "tw"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--from"));
}

#[test]
fn lines_repeated_across_a_folder_are_boilerplate() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("site");
    fs::create_dir_all(&src).unwrap();
    let bodies = [
        "国家邮政局召开会议，部署旺季服务保障工作，要求各地加强协调配合。",
        "快递业务量再创新高，全国日均揽收包裹超过六亿件，同比增长明显。",
        "农村寄递物流体系建设加快推进，快递进村覆盖率进一步提升，群众满意。",
        "邮政管理部门开展安全隐患排查整治，确保寄递渠道安全畅通和行业稳定。",
        "电商平台与快递企业协同发力，错峰发货机制运行平稳，用户体验更好。",
    ];
    let footer = "网站导航 关于我们 招聘信息 友情链接 2023";
    for (i, body) in bodies.iter().enumerate() {
        fs::write(src.join(format!("{i}.txt")), format!("{body}\n{footer}\n")).unwrap();
    }
    // A file too large to be kept in memory between the two passes is read twice, and gets
    // the same treatment.
    let big: String = (0..12_000)
        .map(|i| format!("大文件的第{i}行，内容各不相同。\n"))
        .collect();
    assert!(big.len() > 300 * 1024);
    fs::write(src.join("big.txt"), format!("{big}{footer}\n")).unwrap();
    // A subfolder's files sort between the folder's own (`4.txt`, `a/...`, `big.txt`): each
    // folder counts its own lines. Two files are too few to repeat a line three times.
    let sub_footer = "本频道责任编辑 联系电话 投稿邮箱 2024";
    for (folder, n) in [("a", 3), ("pair", 2)] {
        fs::create_dir_all(src.join(folder)).unwrap();
        for (i, body) in bodies[..n].iter().enumerate() {
            let text = format!("{body}\n{sub_footer}\n");
            fs::write(src.join(folder).join(format!("{i}.txt")), text).unwrap();
        }
    }
    let out = dir.path().join("out");
    zhtidy()
        .arg("--out-dir")
        .arg(&out)
        .arg(&src)
        .assert()
        .success();
    let big_out = fs::read_to_string(out.join("big.txt")).unwrap();
    assert!(!big_out.contains(footer));
    assert!(big_out.starts_with("大文件的第0行，内容各不相同。\n"));
    assert!(big_out.ends_with("大文件的第11999行，内容各不相同。\n"));
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(
            fs::read_to_string(out.join(format!("{i}.txt"))).unwrap(),
            format!("{body}\n"),
            "the site template goes, the article stays"
        );
    }
    for (i, body) in bodies[..3].iter().enumerate() {
        let a = fs::read_to_string(out.join("a").join(format!("{i}.txt"))).unwrap();
        assert_eq!(a, format!("{body}\n"));
    }
    for (i, body) in bodies[..2].iter().enumerate() {
        let pair = fs::read_to_string(out.join("pair").join(format!("{i}.txt"))).unwrap();
        assert_eq!(pair, format!("{body}\n{sub_footer}\n"));
    }
    let kept = dir.path().join("kept");
    zhtidy()
        .args(["--repeated-lines", "0", "--out-dir"])
        .arg(&kept)
        .arg(&src)
        .assert()
        .success();
    assert!(fs::read_to_string(kept.join("0.txt"))
        .unwrap()
        .contains(footer));
    // One document alone: nothing repeats.
    let single = zhtidy().arg(src.join("0.txt")).assert().success();
    assert!(String::from_utf8_lossy(&single.get_output().stdout).contains(footer));
}

/// Whether this process runs as root (who can read any file, so permissions do not bite).
fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_folders_are_reported_and_the_run_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    // As root, the run is made as user `nobody` (setpriv, util-linux) so that permissions apply.
    let as_nobody = running_as_root();
    if as_nobody
        && StdCommand::new("setpriv")
            .arg("--version")
            .output()
            .is_err()
    {
        eprintln!("skipped: running as root and setpriv is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("locked")).unwrap();
    fs::write(src.join("ok.txt"), "软件\n").unwrap();
    fs::write(src.join("secret.txt"), "软件\n").unwrap();
    fs::write(src.join("locked/inner.txt"), "软件\n").unwrap();
    let out = dir.path().join("out");
    fs::create_dir_all(&out).unwrap();
    let mode = |p: &Path, m: u32| fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
    mode(dir.path(), 0o755);
    mode(&src, 0o755);
    mode(&out, 0o777);
    mode(&src.join("ok.txt"), 0o644);
    mode(&src.join("secret.txt"), 0o000);
    mode(&src.join("locked"), 0o000);
    let mut cmd = if as_nobody {
        let mut c = StdCommand::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(bin());
        c
    } else {
        StdCommand::new(bin())
    };
    let run = cmd
        .args(["--to", "tw", "--out-dir"])
        .arg(&out)
        .arg(&src)
        .output()
        .unwrap();
    mode(&src.join("locked"), 0o755);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("secret.txt"), "{stderr}");
    assert!(stderr.contains("locked: cannot read"), "{stderr}");
    assert!(
        stderr.contains("1 file written, 0 skipped, 2 failed"),
        "{stderr}"
    );
    assert_eq!(files(&out), ["ok.txt"]);
    assert_eq!(fs::read_to_string(out.join("ok.txt")).unwrap(), "軟件\n");
}

/// On a terminal, folder mode shows progress in bytes that moves while one large file is read,
/// and the summary speaks English ("2 files written", sizes in kB/MB). The terminal is a
/// pseudo-terminal from util-linux's `script`.
#[cfg(unix)]
#[test]
fn progress_moves_inside_a_large_file() {
    if StdCommand::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` (util-linux) for a pseudo-terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(
        src.join("big.txt"),
        "国家邮政局召开会议，强调全系统全行业要继续发挥核心机制作用。\n".repeat(200_000),
    )
    .unwrap();
    fs::write(src.join("small.txt"), "软件\n").unwrap();
    let cmd = format!(
        "{} --to tw -j 1 --out-dir {} {}",
        bin().display(),
        dir.path().join("out").display(),
        src.display()
    );
    let out = StdCommand::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    // Distinct byte counts shown before the large file was done: the bar moved inside it.
    let mut seen: Vec<&str> = out
        .split(['\r', '\n'])
        .filter(|l| l.contains("/2 files"))
        .filter_map(|l| l.split('/').next().and_then(|s| s.rsplit(' ').nth(1)))
        .collect();
    seen.dedup();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(out.contains("2 files written"), "summary");
    assert!(out.contains(" MB read"), "summary unit");
}
