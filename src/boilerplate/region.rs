//! The body region of a scraped page: text saved from a web page line by line (a crawler's
//! dump, a copy from the browser) carries the menus, headline lists, comment threads and
//! footers of the page around its article. The article is the densest stretch of prose; this
//! module finds it and says which lines lie outside it.
//!
//! Each line gets a score: prose (a paragraph, see [`rules::is_paragraph`]) counts for itself,
//! more when longer; a short sentence counts a little; a line that matches a boilerplate rule,
//! a navigation line, a label or a headline without punctuation counts against. The body is
//! the stretch of lines with the highest total (the maximum-sum run, as in Finn, Kushmerick
//! and Smyth's body text extraction), and it never crosses the heading of a comment section
//! (`热门评论 10条`, `网友评论`, `发表评论`). After its best run the body takes the rest of a last
//! sentence broken over short lines, up to the line that ends it, when no furniture stands
//! between and the lines cost nothing on the whole.
//!
//! The lines outside the body are dropped only when the document shows it is a scraped page:
//! lines outside the body match boilerplate rules, above it and below it, of at least two
//! kinds and [`MIN_EVIDENCE`] lines (a copyright line above and below is a set of manual
//! pages, not a web page; navigation rows do not count, word-segmented text looks like them),
//! or a comment section follows the body. A text with no page furniture (a story, a poem with
//! a preface, notes) is left as it is. The headline right above the body stays.

use std::sync::LazyLock;

use regex::Regex;

use super::rules::{self, Kind, Rule};

/// The rule name of lines outside the body that match no named rule.
pub const OUTSIDE_BODY: &str = "outside_body";

/// Different lines outside the body that match a rule, needed before any is dropped.
pub const MIN_EVIDENCE: usize = 3;
/// The body must hold this many characters of paragraphs.
const MIN_BODY_CHARS: usize = 100;
/// A headline above the body is at most this long, and at most this many non-blank lines above
/// it.
const MAX_TITLE_CHARS: usize = 80;
const TITLE_REACH: usize = 3;
/// How many lines after the best run the body may take to finish its last sentence.
const TAIL_REACH: usize = 6;

/// The heading of a comment section: nothing after it belongs to the article.
static COMMENTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?:热门|熱門|最新|全部|精彩|网友|網友|读者|讀者|用户|用戶)(?:评论|評論|留言|跟贴|跟帖)(?:区|區|列表)?|(?:评论|評論|留言|跟贴|跟帖)(?:区|區|列表))\s*(?:[（(]\s*\d+\s*(?:条|條)?\s*[)）]|\d+\s*(?:条|條))?\s*[:：]?$|^(?:评论|評論|留言|跟贴|跟帖)\s*(?:[（(]\s*\d+\s*(?:条|條)?\s*[)）]|\d+\s*(?:条|條))$|^(?:我要|发表|發表|查看全部|查看更多)(?:评论|評論|留言)$|^(?:已有|共有?)\s*\d+\s*(?:条|條|人)(?:评论|評論|留言|参与|參與)$",
    )
    .expect("comment heading pattern")
});

/// Whether a line heads a comment section.
pub fn is_comment_heading(line: &str) -> bool {
    line.len() <= 64 && COMMENTS.is_match(line)
}

/// Whether a line heads a list of other articles (`相关新闻`, `猜你喜欢`), not a link to the rest
/// of this one (`阅读全文`).
fn is_related_heading(line: &str, rule: Option<&Rule>) -> bool {
    rule.is_some_and(|r| r.name == "related")
        && !["全文", "原文", "往下", "继续", "繼續", "点击", "點擊"]
            .iter()
            .any(|w| line.contains(w))
}

/// What a line says about being part of the article.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Weight {
    /// Counts this much (negative: against).
    Score(i32),
    /// A comment section starts here.
    Barrier,
}

/// The weight of a line `text` that matches `rule` ([`rules::classify`]).
fn weight(text: &str, rule: Option<&Rule>) -> Weight {
    if text.is_empty() {
        return Weight::Score(0);
    }
    if is_comment_heading(text) || is_related_heading(text, rule) {
        return Weight::Barrier;
    }
    if let Some(rule) = rule {
        return Weight::Score(if rule.kind == Kind::Metadata { -1 } else { -4 });
    }
    if rules::is_navigation(text) {
        return Weight::Score(-3);
    }
    let chars = text.chars().count();
    if text.matches(['|', '｜']).count() >= 2 {
        return Weight::Score(-2);
    }
    if is_prose(text, chars) {
        return Weight::Score((2 + chars as i32 / 20).min(12));
    }
    // A short sentence, or a clause of one broken over lines (`下周一，`, or with the ASCII comma
    // some scrapers leave).
    if chars >= 2 && (ends_sentence(text) || text.ends_with(['，', '、', '；', '：', ','])) {
        return Weight::Score(1);
    }
    Weight::Score(-1)
}

/// Prose: a paragraph ([`rules::is_paragraph`]) of 60 characters or more, or a shorter one
/// with a full stop, or with a comma and a sentence-final mark. A headline (`男子酒驾被查 交警：咋
/// 不去当演员呢？`) is not prose.
fn is_prose(text: &str, chars: usize) -> bool {
    rules::is_paragraph(text)
        && (chars >= 60 && clause_marks(text) * 50 >= chars
            || text.contains('。')
            || (text.contains(['，', ',']) && ends_sentence(text)))
}

/// The clause and sentence marks of a line.
fn clause_marks(text: &str) -> usize {
    text.matches(['，', '。', '、', '；', '：', '！', '？', ',', ';'])
        .count()
}

/// Ends with sentence-final punctuation, possibly followed by closing quotes or brackets.
fn ends_sentence(text: &str) -> bool {
    let t = text.trim_end_matches(['”', '’', '」', '』', '）', ')', '"', '\'']);
    t.ends_with(['。', '！', '？', '!', '?', '…'])
}

/// The run of `weights` with the highest positive sum: its range and sum.
fn best_run(weights: &[Weight]) -> Option<(usize, usize, i64)> {
    let (mut best, mut best_range) = (0i64, None);
    let (mut sum, mut start) = (0i64, 0usize);
    for (i, w) in weights.iter().enumerate() {
        let Weight::Score(s) = w else { continue };
        if sum <= 0 {
            sum = 0;
            start = i;
        }
        sum += i64::from(*s);
        if sum > best {
            (best, best_range) = (sum, Some((start, i + 1, sum)));
        }
    }
    best_range
}

/// Which of `lines` (trimmed texts, in order) lie outside the body of a scraped page, each
/// with the name of the rule it matches (else [`OUTSIDE_BODY`]); `None` for a line that stays.
/// `None` for the whole when the document does not show page furniture, or has no body.
pub fn outside_body(lines: &[&str]) -> Option<Vec<Option<&'static str>>> {
    // A body and anything outside it to drop take two lines with text at least (a paragraph
    // per record, as datasets hold them, is answered without classifying it).
    lines.iter().filter(|t| !t.is_empty()).nth(1)?;
    // Each line is classified once.
    let rule: Vec<Option<&'static Rule>> = lines
        .iter()
        .map(|t| {
            if t.is_empty() {
                None
            } else {
                rules::classify(t)
            }
        })
        .collect();
    let weights: Vec<Weight> = lines
        .iter()
        .zip(&rule)
        .map(|(t, r)| weight(t, *r))
        .collect();
    // The maximum-sum run of each stretch between comment or related-reading headings that
    // has a body; the first one that scores at least a quarter of the best one wins (the
    // article comes before its comments and lists; a sidebar snippet above it is small).
    let mut runs = Vec::new();
    let mut part = 0;
    while part < lines.len() {
        let end = weights[part..]
            .iter()
            .position(|w| *w == Weight::Barrier)
            .map_or(lines.len(), |p| part + p);
        if let Some((start, stop, sum)) = best_run(&weights[part..end]) {
            let (start, stop) = (part + start, part + stop);
            let body_chars: usize = lines[start..stop]
                .iter()
                .filter(|t| rules::is_paragraph(t))
                .map(|t| t.chars().count())
                .sum();
            if body_chars >= MIN_BODY_CHARS {
                runs.push((start, stop, sum));
            }
        }
        part = end + 1;
    }
    let top = runs.iter().map(|r| r.2).max()?;
    let &(best_start, mut best_end, _) = runs.iter().find(|r| r.2 * 4 >= top)?;
    // The article's last sentence broken over short lines (`愿大家都能` / `平安出行，安全到家。`)
    // scores nothing on the whole: the body takes the lines after it up to a sentence that
    // ends such a stretch, as long as none of them is furniture and they add up to no loss.
    let (mut sum, mut j) = (0i32, best_end);
    while j < lines.len() && j < best_end + TAIL_REACH {
        let Weight::Score(w) = weights[j] else { break };
        if w <= -2 || rule[j].is_some() {
            break;
        }
        sum += w;
        if w > 0 && sum >= 0 && ends_sentence(lines[j]) {
            best_end = j + 1;
        }
        j += 1;
    }
    let outside = |i: usize| i < best_start || i >= best_end;
    // Furniture on both sides of the body, as a page has (a header with menus, a footer).
    let furniture = |range: std::ops::Range<usize>| {
        rule[range]
            .iter()
            .filter_map(|r| r.filter(|r| r.kind != Kind::Metadata))
            .map(|r| r.name)
            .collect::<std::collections::HashSet<_>>()
    };
    let (before, after) = (furniture(0..best_start), furniture(best_end..lines.len()));
    let kinds = before.union(&after).count();
    let evidence = if !before.is_empty() && !after.is_empty() && kinds >= 2 {
        (0..lines.len())
            .filter(|&i| outside(i) && rule[i].is_some())
            .map(|i| lines[i])
            .collect::<std::collections::HashSet<_>>()
            .len()
    } else {
        0
    };
    let comments_after = weights[best_end..].contains(&Weight::Barrier);
    if evidence < MIN_EVIDENCE && !comments_after {
        return None;
    }
    let mut out: Vec<bool> = (0..lines.len()).map(outside).collect();
    // The headline: the nearest lines above the body that are neither blank nor furniture
    // (`原标题：`, a date and source line may stand between them), if they read like one; a
    // headline with its subtitles is up to three lines in a row.
    let title_like = |i: usize| {
        let t = lines[i];
        let n = t.chars().count();
        (6..=MAX_TITLE_CHARS).contains(&n)
            && !t.contains('。')
            && rule[i].is_none()
            && !rules::is_navigation(t)
            && !is_comment_heading(t)
    };
    let above: Vec<usize> = (0..best_start)
        .rev()
        .filter(|&i| !lines[i].is_empty())
        .take(TITLE_REACH + 3)
        .collect();
    if let Some(first) = above.iter().take(TITLE_REACH).position(|&i| title_like(i)) {
        let mut prev = above[first];
        out[prev] = false;
        for &i in above[first + 1..].iter().take(2) {
            if i + 1 != prev || !title_like(i) {
                break;
            }
            out[i] = false;
            prev = i;
        }
    }
    // Blank lines between kept lines stay (between a headline and the body).
    if let (Some(first), Some(last)) = (out.iter().position(|o| !o), out.iter().rposition(|o| !o)) {
        for i in first..last {
            if lines[i].is_empty() {
                out[i] = false;
            }
        }
    }
    Some(
        out.iter()
            .enumerate()
            .map(|(i, &o)| {
                o.then(|| match rule[i] {
                    Some(r) => r.name,
                    None if rules::is_navigation(lines[i]) => rules::NAVIGATION.name,
                    None => OUTSIDE_BODY,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAGRAPH: &str = "据本报记者了解，今年以来全市新建的公共文化设施已经超过一百处，覆盖了绝大多数街道和乡镇，居民步行十五分钟就能到达。";

    #[test]
    fn the_body_takes_the_rest_of_its_last_sentence() {
        // The last sentence broken over a line that counts against (no mark) and one that
        // counts a little: together they add nothing, and the body still takes them.
        let lines = [
            "设为首页",
            "加入收藏",
            "新闻",
            "体育",
            "登录",
            PARAGRAPH,
            PARAGRAPH,
            "请大家互相转告，",
            "愿大家都能",
            "一路平安。",
            "来源：本市交警",
            "分享到",
            "用微信扫描二维码",
            "关于我们",
            "网站地图",
        ];
        assert_eq!(weight("愿大家都能", None), Weight::Score(-1));
        assert_eq!(weight("一路平安。", None), Weight::Score(1));
        let out = outside_body(&lines).expect("a scraped page");
        let kept: Vec<&str> = (0..lines.len())
            .filter(|&i| out[i].is_none())
            .map(|i| lines[i])
            .collect();
        assert_eq!(
            kept[kept.len() - 3..],
            ["请大家互相转告，", "愿大家都能", "一路平安。"]
        );
        assert!(out[10].is_some(), "the source line after it goes");
    }

    #[test]
    fn comment_headings() {
        for yes in [
            "热门评论 10条",
            "网友评论",
            "发表评论",
            "我要评论",
            "評論（12）",
            "已有58条评论",
            "全部评论",
            "评论 3 条",
        ] {
            assert!(is_comment_heading(yes), "{yes}");
        }
        for no in [
            "评论员文章：坚持稳中求进",
            "他的评论引起热议。",
            "本报评论部",
        ] {
            assert!(!is_comment_heading(no), "{no}");
        }
    }

    #[test]
    fn a_page_loses_what_surrounds_its_article() {
        let lines = [
            "首页",
            "新闻",
            "体育",
            "财经",
            "设为首页 | 加入收藏 | 手机版",
            "",
            "市里新建百处文化设施",
            PARAGRAPH,
            PARAGRAPH,
            "",
            "分享到：",
            "相关新闻",
            "某地举办读书节",
            "某馆延长开放时间",
            "Copyright © 2024 某某网 版权所有",
        ];
        let out = outside_body(&lines).expect("a scraped page");
        let kept: Vec<&str> = lines
            .iter()
            .zip(&out)
            .filter(|(_, o)| o.is_none())
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(kept, ["市里新建百处文化设施", PARAGRAPH, PARAGRAPH]);
        // A dropped line is named by the rule it matches, if any.
        assert_eq!(out[lines.len() - 1], Some("copyright"));
        assert_eq!(out[lines.len() - 2], Some(OUTSIDE_BODY));
    }

    #[test]
    fn a_comment_section_is_never_part_of_the_body() {
        let lines = [
            PARAGRAPH,
            PARAGRAPH,
            "热门评论 3条",
            PARAGRAPH,
            PARAGRAPH,
            PARAGRAPH,
        ];
        let out = outside_body(&lines).expect("comments follow");
        let dropped: Vec<bool> = out.iter().map(Option::is_some).collect();
        assert_eq!(dropped, [false, false, true, true, true, true]);
        // Two lines are enough for a body and a comment heading; one line is never dropped.
        let long = PARAGRAPH.repeat(2);
        let two = ["", long.as_str(), "", "我要评论"];
        let out = outside_body(&two).expect("comments follow");
        assert_eq!(out[3], Some(OUTSIDE_BODY));
        assert!(out[1].is_none());
        assert!(outside_body(&["", long.as_str(), ""]).is_none());
        assert!(outside_body(&["我要评论"]).is_none());
    }

    #[test]
    fn text_without_page_furniture_is_left_alone() {
        // A preface and a poem: short lines without punctuation, but no furniture.
        let lines = [
            PARAGRAPH,
            PARAGRAPH,
            "",
            "面朝大海",
            "春暖花开",
            "从明天起",
            "做一个幸福的人",
        ];
        assert_eq!(outside_body(&lines), None);
        // Manual pages put together: a copyright line above and below is one kind of rule.
        let lines = [
            "Copyright (C) 2022 Free Software Foundation",
            PARAGRAPH,
            PARAGRAPH,
            "",
            "选项",
            "Copyright (C) 1999 Free Software Foundation",
        ];
        assert_eq!(outside_body(&lines), None);
        // Short text: no body.
        assert_eq!(outside_body(&["首页", "版权所有", "你好。"]), None);
    }
}
