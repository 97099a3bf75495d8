//! 未诉即办: finding groups of orders about the same local problem before more people call about it.
//!
//! Two orders are linked when they share the category, happened within the window of each other, are in the same
//! community (village code) or within `radius_m` of each other, and their texts share enough words (Jaccard index
//! of jieba word sets, stop words dropped): "门口路灯坏了" and "路灯不亮" match on 路灯 although neither contains the
//! other. Clusters are the connected groups of links of at least `min_size` orders; single linkage is enough
//! because every link already requires category, place and text to agree.

use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone)]
pub struct Signal {
    pub category: String,
    /// Village (12 digits) or town (9) code; empty when unknown.
    pub area: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Seconds since the epoch.
    pub at: i64,
    pub words: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub window_seconds: i64,
    pub radius_m: f64,
    pub min_similarity: f64,
    pub min_size: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            window_seconds: 7 * 24 * 3600,
            radius_m: 500.0,
            min_similarity: 0.25,
            min_size: 3,
        }
    }
}

/// Words that say nothing about the problem itself; without dropping them every complaint resembles every other.
const STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "是",
    "在",
    "我",
    "我们",
    "你",
    "他",
    "她",
    "有",
    "和",
    "就",
    "都",
    "也",
    "很",
    "还",
    "又",
    "要",
    "请",
    "已经",
    "一直",
    "没有",
    "不",
    "没",
    "这",
    "那",
    "这个",
    "那个",
    "问题",
    "反映",
    "希望",
    "相关",
    "部门",
    "尽快",
    "处理",
    "解决",
    "市民",
    "来电",
    "来信",
    "诉求",
    "情况",
    "现在",
    "目前",
    "每天",
    "附近",
    "一下",
    "能否",
    "多次",
    "什么",
    "怎么",
    "为什么",
    "个",
    "位于",
    "区",
    "市",
    "帮忙",
    "谢谢",
    "您好",
    "了解",
    "咨询",
    "投诉",
    "举报",
    "建议",
];

/// Everyday words of hotline complaints that must stay whole for texts to be compared word by word.
pub const HOTLINE_WORDS: &[&str] = &[
    "路灯",
    "不亮",
    "停水",
    "来水",
    "断水",
    "水压",
    "停电",
    "噪音",
    "噪声",
    "扰民",
    "施工",
    "夜间施工",
    "垃圾",
    "垃圾桶",
    "清运",
    "坑洼",
    "积水",
    "井盖",
    "欠薪",
    "拖欠",
    "工资",
    "过期",
    "过期食品",
    "异味",
    "刺鼻",
    "排放",
    "污水",
    "漏水",
    "堵塞",
    "下水道",
    "占道",
    "乱停",
    "广场舞",
    "油烟",
];

/// The segmenter for complaints: the search one with `HOTLINE_WORDS`, built once (loading jieba takes a while).
pub fn segmenter() -> &'static tongban_search::Segmenter {
    static SEG: std::sync::OnceLock<tongban_search::Segmenter> = std::sync::OnceLock::new();
    SEG.get_or_init(|| tongban_search::Segmenter::with_words(HOTLINE_WORDS))
}

/// The words of a text that carry its subject: jieba's words of two characters or more, minus stop words, numbers
/// and the words of the place (`place`: the address and the community's name). Place is compared on its own, by
/// code or distance; left in the text, "八字门社区" would make every complaint from there look alike.
pub fn keywords(segmenter: &tongban_search::Segmenter, text: &str, place: &str) -> BTreeSet<String> {
    let place = tongban_search::normalize(place);
    segmenter
        .dictionary_words(text)
        .into_iter()
        .filter(|w| w.chars().count() >= 2)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .filter(|w| place.is_empty() || !place.contains(w.as_str()))
        .collect()
}

pub fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let both = a.intersection(b).count();
    let either = a.len() + b.len() - both;
    if either == 0 {
        0.0
    } else {
        both as f64 / either as f64
    }
}

/// Great-circle distance in metres.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6_371_000.0;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

fn near(a: &Signal, b: &Signal, p: &Params) -> bool {
    if !a.area.is_empty() && a.area == b.area {
        return true;
    }
    match (a.lat, a.lon, b.lat, b.lon) {
        (Some(x1), Some(y1), Some(x2), Some(y2)) => haversine_m(x1, y1, x2, y2) <= p.radius_m,
        _ => false,
    }
}

pub fn linked(a: &Signal, b: &Signal, p: &Params) -> bool {
    a.category == b.category
        && (a.at - b.at).abs() <= p.window_seconds
        && near(a, b, p)
        && jaccard(&a.words, &b.words) >= p.min_similarity
}

/// Groups of indices into `signals` (each sorted, groups ordered by their first index).
pub fn clusters(signals: &[Signal], p: &Params) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..signals.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    // Only orders of one category can link; bucketing by it keeps the pairwise pass small.
    let mut by_category: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in signals.iter().enumerate() {
        by_category.entry(s.category.as_str()).or_default().push(i);
    }
    for members in by_category.values() {
        for (k, &i) in members.iter().enumerate() {
            for &j in &members[k + 1..] {
                if linked(&signals[i], &signals[j], p) {
                    let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                    if ri != rj {
                        parent[ri.max(rj)] = ri.min(rj);
                    }
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..signals.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() >= p.min_size).collect();
    out.sort_by_key(|g| g[0]);
    out
}
