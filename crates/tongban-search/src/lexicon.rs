//! How people name things: everyday words mapped to the catalog's official wording (data/search/synonyms.tsv),
//! filler words that say nothing about which item is wanted (stopwords.txt), and the pinyin of known words so that
//! a query typed without a Chinese input method still finds them.

use crate::text::{normalize, Segmenter};
use pinyin::ToPinyin;
use std::collections::{HashMap, HashSet};

pub struct Lexicon {
    /// (everyday word, official terms), longest word first so that the most specific reading wins.
    synonyms: Vec<(String, Vec<String>)>,
    stopwords: HashSet<String>,
    intents: Vec<Intent>,
    default_intent: Option<Intent>,
    /// Spellings of the lexicon's own words; the index adds the words of item names to a copy.
    pinyin: PinyinMap,
}

/// What a question wants done with a licence or registration (data/search/intents.tsv).
#[derive(Debug, Clone)]
pub struct Intent {
    pub name: String,
    triggers: Vec<String>,
    /// Official verbs of item names this intent lifts.
    pub name_words: Vec<String>,
}

impl Intent {
    pub fn triggers_is_default(&self) -> bool {
        self.triggers.is_empty()
    }
}

/// Toneless pinyin (full syllables, or initials of longer words) → the word it spells.
#[derive(Debug, Clone, Default)]
pub struct PinyinMap {
    map: HashMap<String, String>,
    longest: usize,
}

impl PinyinMap {
    /// Adds the spellings of a word written in Chinese characters; the first word to claim a spelling keeps it.
    pub fn add(&mut self, word: &str) {
        for spelling in spellings(word) {
            self.longest = self.longest.max(spelling.len());
            self.map.entry(spelling).or_insert_with(|| word.to_string());
        }
    }

    /// Replaces each run of Latin letters that spells known words (greedy longest match over the whole run).
    pub fn to_hanzi(&self, text: &str) -> String {
        let mut out = String::new();
        let mut run = String::new();
        for c in text.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_alphabetic() {
                run.push(c);
                continue;
            }
            if !run.is_empty() {
                out.push_str(&self.spell(&run).unwrap_or_else(|| run.clone()));
                run.clear();
            }
            out.push(c);
        }
        out.pop();
        out
    }

    fn spell(&self, run: &str) -> Option<String> {
        if run.len() < 2 {
            return None;
        }
        let mut out = String::new();
        let mut i = 0;
        'outer: while i < run.len() {
            for len in (1..=self.longest.min(run.len() - i)).rev() {
                if let Some(word) = self.map.get(&run[i..i + len]) {
                    out.push_str(word);
                    i += len;
                    continue 'outer;
                }
            }
            return None;
        }
        Some(out)
    }
}

impl Lexicon {
    pub fn builtin(segmenter: &Segmenter) -> Lexicon {
        Lexicon::parse(
            include_str!("../../../data/search/synonyms.tsv"),
            include_str!("../../../data/search/stopwords.txt"),
            include_str!("../../../data/search/userdict.txt"),
            include_str!("../../../data/search/intents.tsv"),
            segmenter,
        )
    }

    pub fn parse(synonyms: &str, stopwords: &str, userdict: &str, intents: &str, segmenter: &Segmenter) -> Lexicon {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for line in synonyms.lines().skip(1) {
            let Some((key, terms)) = line.split_once('\t') else {
                continue;
            };
            let key = normalize(key.trim());
            if key.is_empty() || key.starts_with('#') {
                continue;
            }
            let entry = map.entry(key).or_default();
            for t in terms.split([';', '；']).map(str::trim).filter(|t| !t.is_empty()) {
                let t = normalize(t);
                if !entry.contains(&t) {
                    entry.push(t);
                }
            }
        }
        let mut synonyms: Vec<(String, Vec<String>)> = map.into_iter().collect();
        synonyms.sort_by(|a, b| b.0.chars().count().cmp(&a.0.chars().count()).then(a.0.cmp(&b.0)));
        let stopwords = stopwords
            .lines()
            .map(|l| normalize(l.trim()))
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let mut words: Vec<String> = Vec::new();
        for (key, terms) in &synonyms {
            words.push(key.clone());
            words.extend(terms.iter().cloned());
        }
        words.extend(
            userdict
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .map(normalize),
        );
        let mut pinyin = PinyinMap::default();
        for w in words {
            pinyin.add(&w);
            for part in segmenter.words(&w) {
                pinyin.add(&part);
            }
        }
        let mut parsed_intents = Vec::new();
        let mut default_intent = None;
        for line in intents
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let mut cols = line.split('\t');
            let (Some(name), Some(triggers), Some(words)) = (cols.next(), cols.next(), cols.next()) else {
                continue;
            };
            let list = |s: &str| {
                s.split(';')
                    .map(|w| normalize(w.trim()))
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
            };
            let intent = Intent {
                name: name.trim().to_string(),
                triggers: list(triggers),
                name_words: list(words),
            };
            if triggers.trim() == "(default)" {
                default_intent = Some(Intent {
                    triggers: vec![],
                    ..intent
                });
            } else {
                parsed_intents.push(intent);
            }
        }
        Lexicon {
            synonyms,
            stopwords,
            intents: parsed_intents,
            default_intent,
            pinyin,
        }
    }

    /// The intents a (normalised) question shows, or the default one when it shows none.
    pub fn intents(&self, text: &str) -> Vec<&Intent> {
        let found: Vec<&Intent> = self
            .intents
            .iter()
            .filter(|i| i.triggers.iter().any(|t| text.contains(t.as_str())))
            .collect();
        if found.is_empty() {
            self.default_intent.iter().collect()
        } else {
            found
        }
    }

    /// Every intent, the default one included.
    pub fn all_intents(&self) -> impl Iterator<Item = &Intent> {
        self.intents.iter().chain(self.default_intent.iter())
    }

    pub fn pinyin(&self) -> &PinyinMap {
        &self.pinyin
    }

    pub fn is_stopword(&self, w: &str) -> bool {
        self.stopwords.contains(w)
    }

    /// Official terms of every everyday word found in the (normalised) text. A word inside a longer matched word
    /// at the same place is not counted again.
    pub fn expansions(&self, text: &str) -> Vec<Vec<String>> {
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut out: Vec<Vec<String>> = Vec::new();
        for (key, terms) in &self.synonyms {
            for (start, _) in text.match_indices(key.as_str()) {
                let end = start + key.len();
                if taken.iter().any(|(s, e)| *s <= start && end <= *e) {
                    continue;
                }
                taken.push((start, end));
                if !out.contains(terms) {
                    out.push(terms.clone());
                }
            }
        }
        out
    }
}

/// Toneless full pinyin and initials of a word written wholly in Chinese characters.
fn spellings(word: &str) -> Vec<String> {
    let mut full = String::new();
    let mut initials = String::new();
    for p in word.to_pinyin() {
        let Some(p) = p else { return vec![] };
        full.push_str(p.plain());
        initials.push_str(p.first_letter());
    }
    if full.is_empty() {
        return vec![];
    }
    // Initials of one- or two-character words are too ambiguous to guess from.
    if word.chars().count() >= 3 {
        vec![full, initials]
    } else {
        vec![full]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_longest_match_and_spells_pinyin() {
        let seg = Segmenter::new();
        let intents = "intent\ttriggers\tname_words\nchange\t改;搬\t变更\nfirst\t(default)\t核发\n";
        let lex = Lexicon::parse(
            "colloquial\tofficial\n开店\t经营许可\n奶茶店\t食品经营许可\n奶茶\t饮品\n",
            "的\n",
            "社保卡 100 n\n",
            intents,
            &seg,
        );
        assert_eq!(lex.expansions("我想开个奶茶店"), vec![vec!["食品经营许可".to_string()]]);
        assert_eq!(lex.pinyin().to_hanzi("shebaoka"), "社保卡");
        assert_eq!(lex.pinyin().to_hanzi("sbk丢了"), "社保卡丢了");
        assert_eq!(lex.pinyin().to_hanzi("xyz"), "xyz");
        assert!(lex.is_stopword("的"));
        let names = |q: &str| lex.intents(q).iter().map(|i| i.name.clone()).collect::<Vec<_>>();
        assert_eq!(names("公司搬家了"), vec!["change"]);
        assert_eq!(names("开店"), vec!["first"]);
    }
}
