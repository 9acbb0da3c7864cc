//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` beside the checkout (or `$ZHTIDY_SHARED`), if present.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ZHTIDY_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    dir.is_dir().then_some(dir)
}

/// Removes `//` and `/* */` comments (outside strings) and trailing commas, so that OpenCC's
/// JSON-with-comments test file parses as JSON.
pub fn strip_jsonc(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            _ => out.push(c),
        }
    }
    // Trailing commas: a comma followed only by whitespace before `]` or `}`.
    let mut cleaned = String::with_capacity(out.len());
    let bytes: Vec<char> = out.chars().collect();
    let mut in_str = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            cleaned.push(c);
            if c == '\\' && i + 1 < bytes.len() {
                cleaned.push(bytes[i + 1]);
                i += 1;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
            cleaned.push(c);
        } else if c == ',' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j].is_whitespace() {
                j += 1;
            }
            if j < bytes.len() && (bytes[j] == ']' || bytes[j] == '}') {
                // drop it
            } else {
                cleaned.push(c);
            }
        } else {
            cleaned.push(c);
        }
        i += 1;
    }
    cleaned
}

/// OpenCC's official cases as (id, input, config, expected).
pub fn opencc_cases() -> Option<Vec<(String, String, String, String)>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dict/opencc/tests/testcases.json");
    let text = std::fs::read_to_string(&path).ok()?;
    let v: serde_json::Value =
        serde_json::from_str(&strip_jsonc(&text)).expect("testcases.json parses");
    let mut cases = Vec::new();
    for case in v["cases"].as_array().expect("cases array") {
        let id = case["id"].as_str().unwrap().to_string();
        let input = case["input"].as_str().unwrap().to_string();
        for (config, expected) in case["expected"].as_object().unwrap() {
            cases.push((
                id.clone(),
                input.clone(),
                config.clone(),
                expected.as_str().unwrap().to_string(),
            ));
        }
    }
    Some(cases)
}
