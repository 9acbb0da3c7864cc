//! Markdown front matter: a YAML block between `---` lines (or TOML between `+++` lines) at
//! the very start of a document, before any text but blank lines.

/// What to do with front matter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FrontMatter {
    /// Keep it as it is.
    Keep,
    /// Remove it.
    Drop,
    /// Replace it by its `title` as the first line (removed if it has none). The default.
    #[default]
    Title,
}

impl std::str::FromStr for FrontMatter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "keep" => Ok(FrontMatter::Keep),
            "drop" => Ok(FrontMatter::Drop),
            "title" => Ok(FrontMatter::Title),
            _ => Err(format!(
                "unknown front-matter action {s:?} (keep, drop, title)"
            )),
        }
    }
}

/// Front matter may not be longer than this; a longer block is taken for text.
pub(crate) const MAX_FRONT_MATTER: usize = 64 * 1024;

/// The outcome of looking for front matter at the start of `text`.
#[derive(Debug, PartialEq)]
pub(crate) enum Found<'a> {
    /// No front matter.
    None,
    /// Not decidable yet: more text is needed.
    NeedMore,
    /// Front matter: its kind (`yaml`/`toml`), its body, and where the text after it starts.
    Block {
        kind: &'static str,
        body: &'a str,
        end: usize,
    },
}

/// Looks for front matter; `last` when `text` is the whole document.
pub(crate) fn find(text: &str, last: bool) -> Found<'_> {
    let start = text.len() - text.trim_start_matches(['\n', '\r', '\u{feff}']).len();
    let rest = &text[start..];
    let (fence, kind) = if rest.starts_with("---") {
        ("---", "yaml")
    } else if rest.starts_with("+++") {
        ("+++", "toml")
    } else if rest.len() < 3 && !last && ("---".starts_with(rest) || "+++".starts_with(rest)) {
        return Found::NeedMore;
    } else {
        return Found::None;
    };
    let Some(nl) = rest.find('\n') else {
        return if last || rest.len() > 8 {
            Found::None
        } else {
            Found::NeedMore
        };
    };
    if rest[..nl].trim_end() != fence {
        return Found::None;
    }
    let body_start = start + nl + 1;
    let mut pos = body_start;
    loop {
        if pos - start > MAX_FRONT_MATTER {
            return Found::None;
        }
        let Some(nl) = text[pos..].find('\n') else {
            let line = text[pos..].trim_end();
            if last && (line == fence || (kind == "yaml" && line == "...")) {
                return Found::Block {
                    kind,
                    body: &text[body_start..pos],
                    end: text.len(),
                };
            }
            return if last { Found::None } else { Found::NeedMore };
        };
        let line = text[pos..pos + nl].trim_end();
        if line == fence || (kind == "yaml" && line == "...") {
            return Found::Block {
                kind,
                body: &text[body_start..pos],
                end: pos + nl + 1,
            };
        }
        pos += nl + 1;
    }
}

/// The `title` of a front-matter block, unquoted.
pub(crate) fn title(kind: &str, body: &str) -> Option<String> {
    let sep = if kind == "toml" { '=' } else { ':' };
    let value = body.lines().find_map(|line| {
        let (key, value) = line.split_once(sep)?;
        (key.trim_end() == "title").then(|| value.trim())
    })?;
    let value = if let Some(v) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        v.replace("''", "'")
    } else if let Some(v) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        v.replace("\\\"", "\"")
    } else {
        value.to_string()
    };
    let value = value.trim().to_string();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks() {
        let doc = "\n---\ntitle: '标题'\ntags:\n - a\n---\n\n<div>正文</div>";
        let Found::Block { kind, body, end } = find(doc, true) else {
            panic!("no front matter")
        };
        assert_eq!(kind, "yaml");
        assert_eq!(title(kind, body).as_deref(), Some("标题"));
        assert_eq!(&doc[end..], "\n<div>正文</div>");
        assert_eq!(find("---\ntitle: x\n", false), Found::NeedMore);
        assert_eq!(find("---\ntitle: x\n", true), Found::None);
        assert_eq!(find("--", false), Found::NeedMore);
        assert_eq!(find("-- 正文", false), Found::None);
        assert_eq!(find("---- 分隔线\n", true), Found::None);
        assert_eq!(find("正文\n---\n", true), Found::None);
        let toml = "+++\ntitle = \"T \\\"q\\\"\"\n+++\nbody";
        let Found::Block { kind, body, .. } = find(toml, true) else {
            panic!()
        };
        assert_eq!(title(kind, body).as_deref(), Some("T \"q\""));
        assert_eq!(title("yaml", "subtitle: x\n"), None);
        assert_eq!(title("yaml", "title: It''s\n"), Some("It''s".into()));
        assert_eq!(title("yaml", "title: 'It''s'\n"), Some("It's".into()));
    }
}
