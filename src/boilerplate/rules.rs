//! The named line rules of the `boilerplate` stage, for Simplified and Traditional text.
//!
//! Each rule matches a whole line (trimmed) no longer than its own limit, so a paragraph that
//! merely mentions 版权 or 责任编辑 in its argument is never taken for a footer. The kinds:
//! - [`Kind::Strong`]: boilerplate wherever it stands (licence numbers, copyright lines, ...);
//! - [`Kind::Weak`]: boilerplate only in the header (before the first real paragraph) or in the
//!   footer (the trailing run after the last one): contact lines, navigation;
//! - [`Kind::Metadata`]: bylines, datelines, photo credits: removed unless `--keep-bylines`.

use std::sync::{LazyLock, OnceLock};

use regex::Regex;

/// How a rule's matches are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Boilerplate anywhere.
    Strong,
    /// Boilerplate in the header or footer only.
    Weak,
    /// Metadata (bylines, credits): kept with `--keep-bylines`.
    Metadata,
}

/// A named rule.
pub struct Rule {
    /// Its name, as reports and the README spell it.
    pub name: &'static str,
    /// How its matches are treated.
    pub kind: Kind,
    /// What it removes.
    pub doc: &'static str,
    /// Lines longer than this many characters never match.
    max_chars: usize,
    /// Literals of which every match holds at least one, `|`-separated, `[...]` for a choice of
    /// characters, ASCII case ignored: a line holding none is not matched against the pattern.
    triggers: &'static str,
    pattern: &'static str,
}

/// Expands trigger literals: `a[bc]|d` -> `ab`, `ac`, `d`.
fn expand(spec: &str) -> Vec<String> {
    let mut out = Vec::new();
    for alt in spec.split('|').filter(|a| !a.is_empty()) {
        let mut partial = vec![String::new()];
        let mut chars = alt.chars();
        while let Some(c) = chars.next() {
            let choices: Vec<char> = if c == '[' && alt.len() > 1 {
                chars.by_ref().take_while(|c| *c != ']').collect()
            } else {
                vec![c]
            };
            partial = partial
                .iter()
                .flat_map(|p| choices.iter().map(move |c| format!("{p}{c}")))
                .collect();
        }
        out.extend(partial);
    }
    out
}

impl Rule {
    /// A rule decided by code rather than a pattern.
    pub const fn new_computed(name: &'static str, kind: Kind, doc: &'static str) -> Rule {
        Rule {
            name,
            kind,
            doc,
            max_chars: 0,
            triggers: "",
            pattern: "",
        }
    }
}

/// The rules, in the order they are tried.
pub static RULES: &[Rule] = &[
    Rule {
        name: "licence",
        kind: Kind::Strong,
        doc: "ICP and 公网安备 numbers, 增值电信/广播电视/新闻信息 licences with their numbers",
        max_chars: 200,
        triggers: "icp|公[网網]|增值|[许許]可|[备備]案",
        pattern: r"(?i)icp\s*[备備证證号號:：]|公[网網]安[备備]|增值[电電]信[业業][务務]|(?:许可|許可)[证證]\s*[号號编編]?\s*[:：]|[备備]案[号號]\s*[:：]?\s*\S",
    },
    Rule {
        name: "copyright",
        kind: Kind::Strong,
        doc: "Copyright/©/All Rights Reserved/版权所有 lines, 复制必究, 未经授权不得转载",
        max_chars: 120,
        triggers: "copyright|©|(c)|版[权權]|rights|必究|未[经經]|[转轉][载載]",
        pattern: r"(?i)^\s*(?:copyright|©|\(c\)\s*\d|版[权權]所有(?:[^者人权權]|$))|all\s+rights\s+reserved|版[权權]所有\s*[©,，:：]|(?:复制|複製|翻印|盗版|盜版)必究|(?:未经|未經)(?:授权|授權|许可|許可|允许|允許)[^。]{0,12}(?:不得|禁止|严禁|嚴禁)(?:转载|轉載|复制|複製|使用)|^[^。]{0,10}(?:不得|禁止|严禁|嚴禁)(?:转载|轉載)",
    },
    Rule {
        name: "disclaimer",
        kind: Kind::Strong,
        doc: "免责声明/声明 headings (with the numbered items after them) and 本网/本站 reprint notices",
        max_chars: 200,
        triggers: "[声聲]明|本[网網站]|本平台|本公[众眾]|[仅僅]代表|[转轉][载載]|侵[权權]|[删刪]除|凡本",
        pattern: r"^[【\[]?(?:免[责責]|特别|特別|版[权權]|法律)?[声聲]明[】\]]?\s*[:：]?$|^[【\[]?(?:免[责責])?[声聲]明[】\]]?\s*[:：]\s*\S*(?:本[网網站]|本平台|[转轉][载載]|[观觀]点|[觀]點|立[场場]|代表)|(?:本[网網站]|本平台|本公众号|本公眾號)[^。]{0,20}(?:[转轉][载載]|不代表|仅代表|僅代表|不承[担擔]|立[场場])|(?:仅代表|僅代表)作者(?:本人|个人|個人)?(?:观点|觀點)|(?:[转轉][载載])(?:请|請)(?:注明|保留)|如有侵[权權]|(?:[联聯][系繫]|告知)(?:我们|我們)?(?:删除|刪除)|凡本[网網站]注明",
    },
    Rule {
        name: "editor",
        kind: Kind::Strong,
        doc: "责任编辑/責任編輯/责编/审核/校对 lines",
        max_chars: 60,
        triggers: "[责責]任|[责責][编編]|[编編][辑輯]|[审審][核稿校]|校[对對]|[监監][制製]|[终終][审審]|[编編][审審]|[统統][筹籌]|排版|[编編]者",
        pattern: r"^[（(【\[]?\s*(?:[责責]任[编編][辑輯]|[责責][编編]|新媒[体體][责責][编編]|(?:实习|實習|值班|网络|網絡|文字|美术|美術|图片|圖片|视频|視頻)?[编編][辑輯]|[审審][核稿校]|[校][对對]|[监監][制製]|[终終][审審]|[编編][审審]|[统統][筹籌]|排版|[编編]者|[责責]任校[对對])\s*[|｜丨]?\s*[:：]",
    },
    Rule {
        name: "source",
        kind: Kind::Strong,
        doc: "来源/原标题/转自 lines",
        max_chars: 80,
        triggers: "[来來]源|原[标標]|稿源|出[处處]|[转轉]自|[转轉][载載]自",
        pattern: r"^[（(【\[]?\s*(?:文章|信息|新[闻聞]|[资資]料|[图圖]片)?(?:来源|來源|原[标標][题題]|稿源|出[处處]|[转轉](?:载)?自|本文来自|本文來自)\s*[:：]|^[^。！？]{0,30}(?:来源|來源)\s*[:：][^。！？]{0,30}$",
    },
    Rule {
        name: "promo",
        kind: Kind::Strong,
        doc: "app, QR-code and follow-us promotions (扫码关注, 下载客户端, 尽在...APP, 关注公众号)",
        max_chars: 60,
        triggers: "[扫掃][码碼描一]|[关關]注|下[载載]|打[开開]|安[装裝]|[尽盡]在|[长長]按",
        pattern: r"(?i)(?:扫|掃)(?:码|碼|描|一扫|一掃)[^。，]{0,8}(?:关注|關注|下载|下載|订阅|訂閱|阅读|閱讀|观看|觀看|收听|收聽|进群|進群|加入|获取|獲取|了解|领取|領取|查看|参与|參與)|(?:关注|關注)[^。，]{0,12}(?:公众号|公眾號|微信号|微信號|视频号|視頻號|抖音号|官方微博|官微)|(?:下载|下載|打开|打開|安装|安裝)[^。，]{0,12}(?:客户端|客戶端|app(?-u:\b))|(?:尽在|盡在)[^。，]{0,12}(?:app(?-u:\b)|客户端|客戶端)|[长長]按(?:识别|識別|扫描|掃描)?(?:二维码|二維碼|图片|圖片)|^(?:微信)?(?:扫一扫|掃一掃)|^(?:用|使用)?(?:微信|手机|手機)?(?:扫描|掃描)(?:二维码|二維碼)$",
    },
    Rule {
        name: "share",
        kind: Kind::Strong,
        doc: "share bars, print/close buttons, font-size switches",
        max_chars: 40,
        triggers: "分享|打印|列印|[关關][闭閉]|收藏|返回|回到|[纠糾][错錯]|字[号號体體]|微信|微博|qq|朋友圈|豆瓣|facebook|twitter|line|[复複][制製]",
        pattern: r"(?i)^(?:分享到|分享至|分享)\s*[:：]|^(?:分享到|分享至)$|^(?:分享|转发|轉發)(?:到|至|给|給)(?:好友|朋友)?[和与與、]?(?:朋友圈|好友|微博|微信)$|^[【\[](?:打印|列印|关闭|關閉|关闭窗口|關閉窗口|收藏|返回顶部|返回頂部|回到顶部|回到頂部|返回首页|返回首頁|返回列表|纠错|糾錯)[】\]](?:\s*[【\[](?:打印|列印|关闭|關閉|关闭窗口|關閉窗口|收藏|返回顶部|返回頂部|分享|纠错|糾錯)[】\]])*$|^(?:打印|列印|收藏|分享|纠错|糾錯)(?:本[页頁]|文章)?\s*[|｜/ ]\s*(?:关闭|關閉|关闭窗口|關閉窗口|打印|列印|返回顶部|返回頂部)(?:本[页頁]|窗口)?$|字[号號体體]\s*[:：]?\s*[【\[]?\s*大\s*中\s*小|^(?:(?:微信|微博|QQ空间|QQ空間|QQ|朋友圈|豆瓣|facebook|twitter|line|复制链接|複製連結|複製鏈接)\s*[|｜/]?\s*){2,}$",
    },
    Rule {
        name: "prev_next",
        kind: Kind::Strong,
        doc: "上一篇/下一篇 links",
        max_chars: 80,
        triggers: "上一|下一|上篇|下篇|前一篇|[后後]一篇",
        pattern: r"^(?:[【\[](?:上一篇|下一篇|上一[页頁]|下一[页頁]|上一[条條]|下一[条條]|上篇|下篇|前一篇|[后後]一篇|上一[则則]|下一[则則])[】\]]|(?:上一篇|下一篇|上一[页頁]|下一[页頁]|上一[条條]|下一[条條]|上篇|下篇|前一篇|[后後]一篇|上一[则則]|下一[则則])\s*(?:[:：]|$|\s+[^。，；,;]{0,40}$))",
    },
    Rule {
        name: "related",
        kind: Kind::Strong,
        doc: "相关阅读/延伸閱讀/推荐阅读 headings (with the short link lines after them), 请继续往下阅读",
        max_chars: 30,
        triggers: "相[关關]|延伸|推[荐薦]|[热熱][门門]|猜你|更多|[请請][继繼]|[继繼][续續]|全文|原文|[点點][击擊]|往期|精彩|今日|你可能",
        pattern: r"^[【\[]?(?:相[关關](?:阅读|閱讀|新闻|新聞|文章|推荐|推薦|报道|報導|链接|連結|鏈接)|延伸[阅閱][读讀]|推[荐薦][阅閱][读讀]|[热熱][门門](?:推荐|推薦|文章|新闻|新聞)|猜你喜[欢歡]|[为為]你推[荐薦]|更多(?:精彩|新闻|新聞|[阅閱][读讀]|内容|內容)|[请請][继繼][续續]往下[阅閱][读讀]|[继繼][续續][阅閱][读讀]|[阅閱][读讀]全文|展[开開]全文|查看原文|[点點][击擊](?:查看|阅读|閱讀|进入|進入)|[阅閱][读讀]原文|往期回[顾顧]|精彩推[荐薦]|今日[热熱][点點]|你可能[还還]想看)[】\]]?\s*[:：>》»]*$",
    },
    Rule {
        name: "breadcrumb",
        kind: Kind::Strong,
        doc: "当前位置/您的位置 lines and `首页 > 新闻 > 正文` trails",
        max_chars: 80,
        triggers: "位置|>|›|»|＞|→|首[页頁]",
        pattern: r"^(?:当前位置|當前位置|您的位置|你的位置|您现在的位置|您現在的位置|现在位置|現在位置|所在位置)\s*[:：]|^[\p{Han}A-Za-z0-9·]{1,12}(?:\s*[>›»＞→]\s*[\p{Han}A-Za-z0-9·]{1,12}){2,}$|^首[页頁]\s*[>›»＞/|]",
    },
    Rule {
        name: "continuation",
        kind: Kind::Strong,
        doc: "newspaper continuation markers (上接第1版, 下转第2版)",
        max_chars: 20,
        triggers: "版",
        pattern: r"^[（(]?\s*(?:上接|下[转轉]|[转轉]第|接第|[紧緊]接)\s*第?\s*[0-9０-９一二三四五六七八九十]+\s*版\s*[）)]?$",
    },
    Rule {
        name: "page_header",
        kind: Kind::Strong,
        doc: "newspaper page furniture in PDF text: running heads (2024年5月10日 星期五 人民日报 4 要闻), 本版责编/版式设计 lines, 邮发代号 and 国内统一连续出版物号",
        max_chars: 50,
        triggers: "星期|本版|版式|[邮郵][发發]|出版物|cn",
        pattern: r"(?i)^[^。，！？；]{0,16}\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:星期|週|周)[一二三四五六日天](?:\s*[^\s。，！？；]{1,12}){0,5}$|^本版(?:[责責][编編]|[责責]任[编編][辑輯]|[编編][辑輯]|主[编編])\s*[:：|｜]|版式[设設][计計]\s*[:：|｜]|[邮郵][发發]代[号號]\s*[:：]?\s*\d|^[^。，！？]{0,20}(?:国内统一连续出版物号|國內統一連續出版物號)\s*[:：]?\s*cn\s*\d",
    },
    Rule {
        name: "site_notice",
        kind: Kind::Strong,
        doc: "notices about the site, not the article: browser and screen-resolution advice (为确保您享有最佳的浏览体验，建议使用…浏览器), cookie notices, 设为首页/加入收藏 links",
        max_chars: 120,
        triggers: "[浏瀏][览覽]|分辨率|解析度|cookie|首[页頁]|主[页頁]|收藏",
        pattern: r"(?i)(?:最佳|更好的?)[^。]{0,6}(?:浏览|瀏覽)(?:体验|體驗|效果)|(?:建议|建議|推荐|推薦)(?:您)?(?:使用|采用|採用)[^。]{0,30}(?:浏览器|瀏覽器|分辨率|解析度)|^(?:本网站|本網站|本站|我们的网站|我們的網站)[^。]{0,12}(?:使用|采用|採用)\s*cookies?|cookies?\s*(?:政策|设置|設定|设定)|^(?:设为首页|設為首頁|设为主页|設為主頁|加入收藏|收藏本站|加入收藏夹|加入我的最愛)$",
    },
    Rule {
        name: "comment_notice",
        kind: Kind::Strong,
        doc: "comment-area notices and counters: 文明上网理性发言, 请遵守…评论服务协议, 网友评论仅供其表达个人看法, 58评论, 评论(12)",
        max_chars: 60,
        triggers: "文明|[评評][论論]|跟[帖贴貼]|留言|[协協][议議]",
        pattern: r"^(?:请|請)?文明上[网網][，,、\s]*理性[发發]言|(?:遵守|同意)[^。]{0,12}(?:评论|評論|跟帖|跟贴|跟貼)[^。]{0,6}(?:协议|協議|公约|公約|规则|規則)|^(?:网友|網友|用户|用戶)(?:评论|評論|跟帖|跟贴)(?:仅|僅)(?:供|代表)|^\d+\s*(?:条|條)?\s*(?:评论|評論|跟帖|跟贴|跟貼|留言)$|^(?:评论|評論|跟帖|跟贴|跟貼|留言)\s*[:：(（]?\s*\d+\s*[)）]?$|^(?:跟帖|跟贴|跟貼)$",
    },
    Rule {
        name: "contact",
        kind: Kind::Weak,
        doc: "telephone, fax, e-mail, address and hotline lines (in header or footer only)",
        max_chars: 100,
        triggers: "[电電][话話]|[传傳]真|手[机機]|[热熱][线線]|[邮郵][箱编編]|mail|地址|qq|微信[号號]|商[务務]|投稿|[举舉][报報]|客服|-|13|14|15|16|17|18|19|400",
        pattern: r"(?i)(?:电话|電話|传真|傳真|手机|手機|热线|熱線|邮箱|郵箱|e-?mail|邮编|郵編|地址|qq|微信号|微信號|商务合作|商務合作|投稿|举报|舉報|客服)\s*[:：]|(?-u:\b)\d{3,4}-\d{7,8}(?-u:\b)|(?-u:\b)1[3-9]\d{9}(?-u:\b)|(?-u:\b)400-?\d{3}-?\d{4}(?-u:\b)",
    },
    Rule {
        name: "byline",
        kind: Kind::Metadata,
        doc: "bylines: ■新华社记者 张三, 本报通讯员 李四, 文/王五",
        max_chars: 40,
        triggers: "■|□|[记記]者|通[讯訊]|撰稿|文|作者",
        pattern: r"^[■□]\s*[\p{Han}·]{2,12}(?:\s+[^\s。，！？]{1,12}){0,4}$|^(?:本[报報]|新[华華]社|人民日[报報]|中新社|央[视視]|[经經]济日[报報]|[^\s。，]{0,6}[报報]社?)?(?:特[约約]|[实實]习|[见見]习)?(?:记者|記者|通[讯訊][员員]|撰稿人)(?:\s+[^\s。，！？]{1,4}){1,4}$|^(?:文|文字|撰文|作者|[记記]者|[图圖]文)\s*[/／|｜:：]\s*[^。，！？]{1,20}$",
    },
    Rule {
        name: "photo_credit",
        kind: Kind::Metadata,
        doc: "photo credits: 张三 摄, 摄影报道, 图片来源：网络, 图/新华社",
        max_chars: 40,
        triggers: "摄|攝|[图圖]|[视視][觉覺]|[东東]方",
        pattern: r"^[^。！？]{0,30}\s(?:摄|攝)(?:影)?(?:报道|報導)?$|^[（(]?(?:[图圖]片?(?:来源|來源)|[图圖]源|[图圖]\s*[/／|｜]|[图圖]片\s*[:：])|(?:视觉中国|視覺中國|东方IC|東方IC)\s*[)）]?$",
    },
    Rule {
        name: "dateline",
        kind: Kind::Metadata,
        doc: "datelines standing alone: 新华社北京11月12日电, a bare date or time",
        max_chars: 40,
        triggers: "[电電]|0|1|2|3|4|5|6|7|8|9",
        pattern: r"^(?:新[华華]社|中新社|本[报報]|人民[网網]|央[视視][网網])\S{0,12}\d{1,2}月\d{1,2}日[电電]\s*(?:[（(][^）)]{0,20}[）)])?$|^[（(]?\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s+\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?[）)]?$",
    },
];

/// Rule `i`'s regex, compiled when first needed (start-up stays in milliseconds).
fn rule_re(i: usize) -> &'static Regex {
    COMPILED.res[i].get_or_init(|| Regex::new(RULES[i].pattern).expect("rule patterns are valid"))
}

struct Compiled {
    /// For each trigger literal (see [`trigger_mask`]), the rule it belongs to.
    trigger_rule: Vec<u32>,
    /// The longest trigger literal, in bytes.
    longest: usize,
    res: Vec<OnceLock<Regex>>,
}

/// The trigger literals of every rule in one automaton: one pass over a line tells which
/// patterns can match it. The NFA is quick to build (start-up time), the DFA quick to run: the
/// DFA is built once a few thousand lines have been classified.
static TRIGGERS_NFA: LazyLock<aho_corasick::nfa::contiguous::NFA> = LazyLock::new(|| {
    aho_corasick::nfa::contiguous::Builder::new()
        .ascii_case_insensitive(true)
        .build(trigger_literals())
        .expect("trigger literals are valid")
});
static TRIGGERS_DFA: LazyLock<aho_corasick::dfa::DFA> = LazyLock::new(|| {
    aho_corasick::dfa::Builder::new()
        .ascii_case_insensitive(true)
        .build(trigger_literals())
        .expect("trigger literals are valid")
});
/// Every rule's trigger literals, in rule order (pattern `k` of either automaton).
fn trigger_literals() -> impl Iterator<Item = String> {
    RULES.iter().flat_map(|r| expand(r.triggers))
}

/// Lines classified so far, counted up to [`DFA_AFTER`] (racy across threads; it only picks the
/// automaton, which gives the same answer either way).
static CLASSIFIED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const DFA_AFTER: usize = 4096;

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| Compiled {
    trigger_rule: RULES
        .iter()
        .enumerate()
        .flat_map(|(i, r)| std::iter::repeat_n(1u32 << i, expand(r.triggers).len()))
        .collect(),
    longest: trigger_literals().map(|t| t.len()).max().unwrap_or(1),
    res: RULES.iter().map(|_| OnceLock::new()).collect(),
});

// Each pattern is compiled when first needed: a short input should not pay for all of them
// (start-up time).
macro_rules! lazy_regex {
    ($($name:ident = $pattern:expr;)*) => {
        $(static $name: LazyLock<Regex> =
            LazyLock::new(|| Regex::new($pattern).expect("a valid pattern"));)*
    };
}

lazy_regex! {
    NUMBERED = r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[、.．)）]|^[（(]\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[）)]";
    LIST_ITEM = r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3})[、．]|^\d{1,2}\.\D|^[（(](?:\d{1,2}|[一二三四五六七八九十]{1,3})[）)]|^[•·●▪◦\-*]\s|^第[一二三四五六七八九十0-9]{1,3}[，、,]";
    NAVIGATION_RE = r"^[\p{Han}A-Za-z]{0,6}(?:中心|[动動][态態]|首[页頁]|主[页頁]|新[闻聞]|[资資][讯訊]|要[闻聞]|[频頻]道|[栏欄]目|正文|[导導][航]|列表|[专專][题題]|公告|通知|[视視][频頻]|登[录錄]|注[册冊]|[网網]站地[图圖]|English)$";
    NAV_LIST = r"^(?:[\p{Han}A-Za-z]{1,6}(?:\s*[|｜/·]\s*|\s+)){3,}[\p{Han}A-Za-z]{1,6}$";
    COUNTER_WORDS = r"(?i)[阅閱][读讀](?:量|数|數)?|[浏瀏][览覽](?:量|次数|次數)?|[点點][击擊](?:量|数|數)?|[评評][论論]|[点點][赞讚贊]|[赞讚贊]|收藏|分享|[转轉][发發]|次|人|views?|likes?|comments?|reads?|[发發][布佈](?:[时時][间間]|日期)?|[时時][间間]|日期|更新|[年月日时時分秒]|[:：|｜/\-.·\s]";
    BYLINE_SUFFIX = r"([。！？”」])\s+[□■]\s*[^\s。，！？]{1,6}(?:\s+[^\s。，！？]{1,6}){0,3}$";
    BARRIER = r"^(?:——|—|--)";
    DATE = r"(?-u:\b)(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}(?-u:\b)";
}

/// The rules (bit `i` for `RULES[i]`) one of whose trigger literals occurs in `line`: an
/// overlapping search, stepping the automaton directly (the iterator API costs more than the
/// search on lines this short).
fn trigger_mask<A: aho_corasick::automaton::Automaton>(dfa: &A, c: &Compiled, line: &str) -> u32 {
    use aho_corasick::Anchored;
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return u32::MAX;
    };
    let b = line.as_bytes();
    // Every literal lies wholly in the first half of the line or in the second half started
    // `longest - 1` bytes early. Two walks, one per half, interleaved: each step of a walk
    // waits for the one before it, and two independent walks keep the processor twice as busy.
    let overlap = c.longest - 1;
    let mid = b.len() / 2;
    if mid < 2 * overlap {
        return walk(dfa, c, start, b, 0);
    }
    let (first, second) = (&b[..mid], &b[mid - overlap..]);
    let (mut s1, mut s2) = (start, start);
    let mut mask = 0u32;
    for (&x, &y) in first.iter().zip(second) {
        s1 = dfa.next_state(Anchored::No, s1, x);
        s2 = dfa.next_state(Anchored::No, s2, y);
        // Special states have the smallest identifiers: one test for both walks.
        if dfa.is_special(s1.min(s2)) {
            mask |= matched(dfa, c, s1) | matched(dfa, c, s2);
        }
    }
    walk(dfa, c, s2, &second[first.len()..], mask)
}

/// Walks `bytes` from state `sid`, adding the rules of the literals found to `mask`.
fn walk<A: aho_corasick::automaton::Automaton>(
    dfa: &A,
    c: &Compiled,
    mut sid: aho_corasick::automaton::StateID,
    bytes: &[u8],
    mut mask: u32,
) -> u32 {
    for &b in bytes {
        sid = dfa.next_state(aho_corasick::Anchored::No, sid, b);
        mask |= matched(dfa, c, sid);
    }
    mask
}

/// The rules of the literals that end in state `sid`.
#[inline(always)]
fn matched<A: aho_corasick::automaton::Automaton>(
    dfa: &A,
    c: &Compiled,
    sid: aho_corasick::automaton::StateID,
) -> u32 {
    let mut mask = 0;
    if dfa.is_special(sid) && dfa.is_match(sid) {
        for k in 0..dfa.match_len(sid) {
            mask |= c.trigger_rule[dfa.match_pattern(sid, k).as_usize()];
        }
    }
    mask
}

/// Which rule a line matches, if any (`line` trimmed).
pub fn classify(line: &str) -> Option<&'static Rule> {
    // 200 characters are at least 200 and at most 800 bytes.
    if line.is_empty() || line.len() > 800 {
        return None;
    }
    let n = line.chars().count();
    if n > 200 {
        return None;
    }
    let c = &*COMPILED;
    use std::sync::atomic::Ordering::Relaxed;
    let seen = CLASSIFIED.load(Relaxed);
    let mask = if seen < DFA_AFTER {
        CLASSIFIED.store(seen + 1, Relaxed);
        trigger_mask(&*TRIGGERS_NFA, c, line)
    } else {
        trigger_mask(&*TRIGGERS_DFA, c, line)
    };
    for (i, rule) in RULES.iter().enumerate() {
        if mask & (1 << i) != 0 && n <= rule.max_chars && rule_re(i).is_match(line) {
            return Some(rule);
        }
    }
    if n <= 60 && line.bytes().any(|b| b.is_ascii_digit()) && is_counter(line) {
        return Some(&COUNTER);
    }
    None
}

/// The rule for view/like counters; separate because it is a computation, not a pattern.
pub static COUNTER: Rule = Rule::new_computed(
    "counter",
    Kind::Strong,
    "view/like/comment counters with dates (`711 0 0 2023-10-25`, `阅读 1234 评论 5`)",
);

/// The header rule: short navigation lines before the first paragraph.
pub static NAVIGATION: Rule = Rule::new_computed(
    "navigation",
    Kind::Weak,
    "short channel names (新闻中心, 行业动态) and menu rows before the first paragraph",
);

/// The rule for runs of menu labels (see [`is_label`]); computed from the run, not one line.
pub static MENU: Rule = Rule::new_computed(
    "menu",
    Kind::Strong,
    "runs of short labels, one per line, as scrapers save menus, channel rows and link lists: \
     3 or more before the first paragraph, 8 or more in a row after it",
);

/// A line that may be a menu label: at most 10 characters, no sentence or clause punctuation
/// (`，。、；：！？…`, `,.;:!?` at the end), not a numbered item. One such line says nothing
/// (a subheading, a name); a run of them says menu. Known false positives: a stanza of 8 or
/// more unpunctuated lines of 10 characters or fewer with no blank line between them.
pub fn is_label(line: &str) -> bool {
    let n = line.chars().count();
    if n == 0 || n > 10 {
        return false;
    }
    let punct = line
        .chars()
        .any(|c| matches!(c, '，' | '。' | '、' | '；' | '：' | '！' | '？' | '…'));
    let ends = line.ends_with(['.', ',', ';', ':', '!', '?']);
    !punct && !ends && !is_numbered_item(line)
}

/// Lines after a disclaimer heading: its numbered items.
pub fn is_numbered_item(line: &str) -> bool {
    NUMBERED.is_match(line)
}

/// A line of counters: only numbers, dates, separators and counter words, with a counter
/// word, or a date and at least two more numbers (`711 0 0 2023-10-25`). Rows of plain numbers
/// (a calendar, a table) are not counters.
fn is_counter(line: &str) -> bool {
    let groups = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .count();
    if groups < 2 {
        return false;
    }
    let without_digits: String = line.chars().filter(|c| !c.is_ascii_digit()).collect();
    let words = COUNTER_WORDS.replace_all(&without_digits, "");
    if !words.is_empty() {
        return false;
    }
    let has_word = without_digits.chars().any(|c| c.is_alphabetic());
    // `711 0 0 2023-10-25`: numbers standing alone beside a date (not a time stamp).
    let counts_beside_date = DATE.is_match(line) && {
        let rest = DATE.replace_all(line, " ");
        !rest.contains(':')
            && rest
                .split_whitespace()
                .filter(|t| t.chars().all(|c| c.is_ascii_digit()))
                .count()
                >= 2
    };
    (has_word && !is_bare_date(line)) || counts_beside_date
}

fn is_bare_date(line: &str) -> bool {
    RULES
        .iter()
        .enumerate()
        .any(|(i, r)| r.name == "dateline" && rule_re(i).is_match(line))
}

/// Navigation lines of a page header: a channel name (`新闻中心`), or a row of short Chinese
/// labels (`首页 / 新闻 / 体育 / 财经`; a line of ASCII words such as `import numpy as np` is not one).
pub fn is_navigation(line: &str) -> bool {
    let n = line.chars().count();
    n <= 40 && (NAVIGATION_RE.is_match(line) || (!line.is_ascii() && NAV_LIST.is_match(line)))
}

/// A byline glued to the end of a paragraph (`...该公司负责人说。 □李莎`): where it starts.
pub fn byline_suffix(line: &str) -> Option<usize> {
    BYLINE_SUFFIX
        .captures(line)
        .map(|c| c.get(1).expect("group 1").end())
}

/// What [`is_barrier`] needs to know about a line besides its text: a caller that scans the
/// line anyway (the `reflow` stage) computes it in the same pass ([`BarrierFacts::of`] is the
/// plain definition).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierFacts {
    /// The first character (a space for an empty line).
    pub first: char,
    /// The last character (a space for an empty line).
    pub last: char,
    /// The number of characters.
    pub chars: usize,
    /// One of 者 讯 訊 稿 occurs (记者, 通讯员, 撰稿人 name a reporter).
    pub reporter: bool,
}

impl BarrierFacts {
    /// The facts, computed plainly.
    pub fn of(line: &str) -> BarrierFacts {
        BarrierFacts {
            first: line.chars().next().unwrap_or(' '),
            last: line.chars().next_back().unwrap_or(' '),
            chars: line.chars().count(),
            reporter: line.contains(['者', '讯', '訊', '稿']),
        }
    }
}

/// Lines that a paragraph never runs across: bylines, credits, datelines, continuation
/// markers, list items, dash-led subtitles (used by the `reflow` stage).
pub fn is_barrier(line: &str) -> bool {
    is_barrier_with(line, &BarrierFacts::of(line))
}

/// [`is_barrier`], with the line's facts already known.
pub fn is_barrier_with(line: &str, facts: &BarrierFacts) -> bool {
    // Each barrier pattern can only match lines that start or end with certain characters, or
    // that name a reporter: most lines are decided here without a regex, and a line runs only
    // the patterns it could match.
    let BarrierFacts {
        first,
        last,
        chars: n,
        reporter,
    } = *facts;
    let short = line.len() <= 40 * 3;
    let reporter = short && reporter;
    let digit = first.is_ascii_digit();
    // The characters each pattern can start with: barrier, list item, continuation, dateline,
    // byline, photo credit.
    let starts = [
        matches!(first, '—' | '-'),
        digit
            || matches!(
                first,
                '（' | '(' | '•' | '·' | '●' | '▪' | '◦' | '-' | '*' | '第'
            ),
        matches!(
            first,
            '（' | '(' | '上' | '下' | '转' | '轉' | '接' | '紧' | '緊'
        ),
        digit || matches!(first, '新' | '中' | '本' | '人' | '央' | '（' | '('),
        matches!(
            first,
            '■' | '□' | '文' | '撰' | '作' | '记' | '記' | '图' | '圖'
        ),
        matches!(first, '（' | '(' | '图' | '圖'),
    ];
    // A line that starts like one of them, names a reporter, or ends like a photo credit.
    let marked =
        reporter || (short && matches!(last, '摄' | '攝' | '道' | '導')) || starts.contains(&true);
    let numeral = matches!(
        first,
        '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
    );
    let gates = [
        starts[0],
        // `一、` needs no other mark.
        starts[1] || numeral,
        starts[2],
        starts[3],
        starts[4] || reporter,
        starts[5]
            || (marked
                && matches!(
                    last,
                    '摄' | '攝' | '影' | '道' | '導' | '国' | '國' | 'C' | '）' | ')'
                )),
    ];
    if n <= 50 && is_page_header(line) {
        return true;
    }
    if !gates.iter().any(|&g| g) {
        return false;
    }
    if (gates[0] && BARRIER.is_match(line)) || (gates[1] && LIST_ITEM.is_match(line)) {
        return true;
    }
    if n > 40 {
        return false;
    }
    let [continuation, dateline, byline, photo_credit] = *barrier_rules();
    [
        (gates[2], continuation),
        (gates[3], dateline),
        (gates[4], byline),
        (gates[5], photo_credit),
    ]
    .into_iter()
    .any(|(gate, i)| gate && n <= RULES[i].max_chars && rule_re(i).is_match(line))
}

/// Whether a line is newspaper page furniture (rule `page_header`): a running head stands
/// between the halves of a sentence that a page break cut, and joins neither.
fn is_page_header(line: &str) -> bool {
    static AT: LazyLock<usize> = LazyLock::new(|| {
        RULES
            .iter()
            .position(|r| r.name == "page_header")
            .expect("the page_header rule exists")
    });
    // Every match holds 星 (星期), 版 (本版, 版式, 出版物) or 邮/郵 (邮发代号).
    line.chars().any(|c| matches!(c, '星' | '版' | '邮' | '郵')) && rule_re(*AT).is_match(line)
}

/// Indexes in [`RULES`] of the rules that are barriers too: continuation, dateline, byline,
/// photo_credit.
fn barrier_rules() -> &'static [usize; 4] {
    static AT: LazyLock<[usize; 4]> = LazyLock::new(|| {
        ["continuation", "dateline", "byline", "photo_credit"].map(|name| {
            RULES
                .iter()
                .position(|r| r.name == name)
                .expect("barrier rules exist")
        })
    });
    &AT
}

/// A line of real text: long enough (at least 60 characters, white space aside) or at least 16
/// characters with clause punctuation (`。，！？；、`).
pub fn is_paragraph(line: &str) -> bool {
    let b = line.as_bytes();
    if b.len() < 16 {
        return false;
    }
    // Characters other than white space: bytes that start a character, ASCII white space
    // aside. Counted in blocks of 64 bytes with a byte counter, a loop the compiler vectorises.
    let count = |block: &[u8]| {
        block.iter().fold(0u8, |n, &x| {
            let starts = (x as i8) >= -64;
            let space = x == b' ' || x == b'\t' || x == b'\n' || x == b'\r' || x == 0x0C;
            n + u8::from(starts & !space)
        })
    };
    let blocks = b.chunks_exact(64);
    let rest = count(blocks.remainder());
    let chars = blocks.map(|k| usize::from(count(k))).sum::<usize>() + usize::from(rest);
    if chars >= 60 {
        return true;
    }
    // 、。 are E3 80 81/82; ，！？； are EF BC 8C/81/9F/9B.
    chars >= 16
        && memchr::memchr2_iter(0xE3, 0xEF, b).any(|i| {
            matches!(
                (b[i], b.get(i + 1), b.get(i + 2)),
                (0xE3, Some(0x80), Some(0x81 | 0x82))
                    | (0xEF, Some(0xBC), Some(0x8C | 0x81 | 0x9F | 0x9B))
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, spelled out.
    fn is_paragraph_plain(line: &str) -> bool {
        let chars = line.chars().filter(|c| !c.is_ascii_whitespace()).count();
        chars >= 60 || (chars >= 16 && line.contains(['。', '，', '！', '？', '；', '、']))
    }

    #[test]
    fn barriers() {
        for yes in [
            "一、总体要求",
            "3. 加强监管",
            "（二）主要任务",
            "新华社北京11月12日电",
            "本报记者 张三",
            "光明日报记者 李四 王五",
            "（上接第1版）",
            "张三 摄",
            "图/新华社",
            "——记习近平总书记在北京河北考察灾后恢复重建工作",
            "新华社北京11月12日电（记者张三）",
            "2023年10月25日",
            "2023-10-25 14:30",
            "（2023年10月25日）",
            "2023年10月２５",
            "下转第２版",
            "（下转第3版)",
            "2024年5月10日 星期五 都市日报 4 要闻",
            "都市日报 2024年5月10日 星期五",
            "本版责编：张三 李四 版式设计：王五",
            "邮发代号1-1",
        ] {
            assert!(is_barrier(yes), "{yes}");
        }
        for no in [
            "中国经济持续恢复向好，高质量",
            "一天时间，乘汽车、换火车，行程横",
            "新的一年里，我们要",
            "记者在现场看到，工人们正在",
            "作者认为这一说法值得商榷",
            "据都市日报2024年5月10日星期五报道，新线路下周开通",
            "本版面的文章都经过了编辑的仔细核对",
        ] {
            assert!(!is_barrier(no), "{no}");
        }
    }

    /// The rules whose trigger literals occur in `line`, found with `str::contains`.
    fn trigger_mask_plain(line: &str) -> u32 {
        let lower = line.to_ascii_lowercase();
        let mut mask = 0;
        for (i, r) in RULES.iter().enumerate() {
            if expand(r.triggers)
                .iter()
                .any(|t| lower.contains(&t.to_ascii_lowercase()))
            {
                mask |= 1 << i;
            }
        }
        mask
    }

    proptest::proptest! {
        /// Lines long enough for the two interleaved walks, made of pieces of trigger
        /// literals, so that literals straddle the halves' boundaries.
        #[test]
        fn the_split_walk_finds_every_trigger(pieces in proptest::collection::vec(
            proptest::sample::select(vec![
                "ICP", "icp", "备", "案", "版", "权", "版权", "中文", "来源", "扫", "码", "关注", "Copyright",
                "facebook", "文", "，", "。", "-", "13", "4", "00", "上一", "篇", "■", "记者", "x",
            ]),
            0..80,
        )) {
            let line = pieces.concat();
            let c = &*COMPILED;
            proptest::prop_assert_eq!(trigger_mask(&*TRIGGERS_DFA, c, &line), trigger_mask_plain(&line));
        }
    }

    #[test]
    fn both_trigger_automata_agree() {
        let text = include_str!("../../samples/clean/002-cms-article.md");
        let c = &*COMPILED;
        let mut some = 0;
        for line in text
            .lines()
            .chain(["ICP备 COPYRIGHT © 版權所有", "扫码下载APP", ""])
        {
            let nfa = trigger_mask(&*TRIGGERS_NFA, c, line);
            assert_eq!(nfa, trigger_mask(&*TRIGGERS_DFA, c, line), "{line:?}");
            assert_eq!(nfa, trigger_mask_plain(line), "{line:?}");
            some += usize::from(nfa != 0);
        }
        assert!(some > 10, "{some}");
    }

    proptest::proptest! {
        #[test]
        fn is_paragraph_matches_its_definition_on_made_up_lines(chars in proptest::collection::vec(
            proptest::sample::select(vec!['中', '文', ' ', '\t', '\u{0B}', 'a', '。', '，', '、', '！', '𠀀', '　']),
            0..300,
        )) {
            let line: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(is_paragraph(&line), is_paragraph_plain(&line));
        }
    }

    #[test]
    fn is_paragraph_matches_its_definition() {
        let lines = [
            "",
            "短句。",
            "一二三四五六七八九十一二三四五六",
            "一二三四五六七八九十一二三四五，",
            "一 二 三 四 五 六 七 八 九 十 一 二 三 四 五，",
            "a b c d e f g h i j k l m n o p, q",
            "abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxyz abcdefgh",
            "abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxyz abcdefghi",
            "这是一个没有标点但是足够长的句子这是一个没有标点但是足够长的句子这是一个没有标点但是足够长的句子这是一个没有标点但是",
            "记者　张三（全角空格不算空白）、",
            "\t\t一二三四五六七八九十一二三四五六。",
        ];
        for l in lines {
            assert_eq!(is_paragraph(l), is_paragraph_plain(l), "{l:?}");
        }
    }
}
