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
    /// Toneless pinyin (full syllables, or initials) → the word it spells.
    pinyin: HashMap<String, String>,
    longest_pinyin: usize,
}

impl Lexicon {
    pub fn builtin(segmenter: &Segmenter) -> Lexicon {
        Lexicon::parse(
            include_str!("../../../data/search/synonyms.tsv"),
            include_str!("../../../data/search/stopwords.txt"),
            include_str!("../../../data/search/userdict.txt"),
            segmenter,
        )
    }

    pub fn parse(synonyms: &str, stopwords: &str, userdict: &str, segmenter: &Segmenter) -> Lexicon {
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
        let mut pinyin = HashMap::new();
        for w in words {
            for spelling in spellings(&w) {
                pinyin.entry(spelling).or_insert_with(|| w.clone());
            }
            for part in segmenter.words(&w) {
                for spelling in spellings(&part) {
                    pinyin.entry(spelling).or_insert_with(|| part.clone());
                }
            }
        }
        let longest_pinyin = pinyin.keys().map(String::len).max().unwrap_or(0);
        Lexicon {
            synonyms,
            stopwords,
            pinyin,
            longest_pinyin,
        }
    }

    pub fn is_stopword(&self, w: &str) -> bool {
        self.stopwords.contains(w)
    }

    /// Official terms of every everyday word found in the (normalised) text. A word inside a longer matched word
    /// at the same place is not counted again.
    pub fn expansions(&self, text: &str) -> Vec<String> {
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut out = Vec::new();
        for (key, terms) in &self.synonyms {
            for (start, _) in text.match_indices(key.as_str()) {
                let end = start + key.len();
                if taken.iter().any(|(s, e)| *s <= start && end <= *e) {
                    continue;
                }
                taken.push((start, end));
                for t in terms {
                    if !out.contains(t) {
                        out.push(t.clone());
                    }
                }
            }
        }
        out
    }

    /// Replaces each run of Latin letters that spells known words in pinyin (full or initials) by those words.
    pub fn pinyin_to_hanzi(&self, text: &str) -> String {
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

    /// Greedy longest match of known spellings over the whole run; None unless every letter is covered.
    fn spell(&self, run: &str) -> Option<String> {
        if run.len() < 2 {
            return None;
        }
        let mut out = String::new();
        let mut i = 0;
        'outer: while i < run.len() {
            for len in (1..=self.longest_pinyin.min(run.len() - i)).rev() {
                if let Some(word) = self.pinyin.get(&run[i..i + len]) {
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
        let lex = Lexicon::parse(
            "colloquial\tofficial\n开店\t经营许可\n奶茶店\t食品经营许可\n奶茶\t饮品\n",
            "的\n",
            "社保卡 100 n\n",
            &seg,
        );
        assert_eq!(lex.expansions("我想开个奶茶店"), vec!["食品经营许可".to_string()]);
        assert_eq!(lex.pinyin_to_hanzi("shebaoka"), "社保卡");
        assert_eq!(lex.pinyin_to_hanzi("sbk丢了"), "社保卡丢了");
        assert_eq!(lex.pinyin_to_hanzi("xyz"), "xyz");
        assert!(lex.is_stopword("的"));
    }
}
