//! Normalisation and word segmentation, shared by indexing and querying so that both see the same words.

use jieba_rs::Jieba;
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Traditional → simplified characters, full-width → half-width, lower case: what the index and queries agree on.
pub fn normalize(s: &str) -> String {
    let half: String = s
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    fast2s::convert(&half).to_lowercase()
}

/// jieba with the domain's own words added (data/search/userdict.txt), so official terms such as 食品经营许可 and
/// everyday ones such as 社保卡 stay whole.
#[derive(Clone)]
pub struct Segmenter {
    jieba: Arc<Jieba>,
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl Segmenter {
    pub fn new() -> Segmenter {
        let mut jieba = Jieba::new();
        for line in include_str!("../../../data/search/userdict.txt").lines() {
            let mut parts = line.split_whitespace();
            if let Some(word) = parts.next().filter(|w| !w.starts_with('#')) {
                let freq = parts.next().and_then(|f| f.parse().ok());
                jieba.add_word(word, freq, parts.next());
            }
        }
        Segmenter { jieba: Arc::new(jieba) }
    }

    /// Words of `text` in search mode (long words also yield their parts), normalised, punctuation dropped.
    pub fn words(&self, text: &str) -> Vec<String> {
        let text = normalize(text);
        self.jieba
            .cut_for_search(&text, true)
            .into_iter()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .map(str::to_string)
            .collect()
    }

    /// The search segmenter plus `extra` words kept whole (e.g. a hotline's everyday problem words such as 路灯 and
    /// 不亮, which jieba's statistics would otherwise split as 路 + 灯不亮).
    pub fn with_words(extra: &[&str]) -> Segmenter {
        let mut s = Segmenter::new();
        if let Some(jieba) = Arc::get_mut(&mut s.jieba) {
            for w in extra {
                jieba.add_word(w, Some(100_000), None);
            }
        }
        s
    }

    /// Like `words`, but only dictionary words: without HMM guessing, "路灯不亮" stays 路灯 + 不亮 instead of
    /// becoming 路 + 灯不亮. Comparing two short complaints needs the stable words more than new-word discovery.
    pub fn dictionary_words(&self, text: &str) -> Vec<String> {
        let text = normalize(text);
        self.jieba
            .cut_for_search(&text, false)
            .into_iter()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .map(str::to_string)
            .collect()
    }

    pub(crate) fn tokenizer(&self) -> JiebaTokenizer {
        JiebaTokenizer {
            segmenter: self.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct JiebaTokenizer {
    segmenter: Segmenter,
}

pub(crate) struct WordStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        let mut offset = 0;
        let tokens = self
            .segmenter
            .words(text)
            .into_iter()
            .enumerate()
            .map(|(position, word)| {
                let token = Token {
                    offset_from: offset,
                    offset_to: offset + word.len(),
                    position,
                    text: word,
                    position_length: 1,
                };
                offset = token.offset_to;
                token
            })
            .collect();
        WordStream { tokens, index: 0 }
    }
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_width_case_and_script() {
        assert_eq!(normalize("ＡＢＣ１２３"), "abc123");
        assert_eq!(normalize("戶口登記"), "户口登记");
    }

    #[test]
    fn keeps_domain_words_whole() {
        let s = Segmenter::new();
        let words = s.words("食品经营许可证核发");
        assert!(
            words.contains(&"食品经营许可".to_string()) || words.contains(&"食品".to_string()),
            "{words:?}"
        );
        assert!(s.words("社保卡丢了").contains(&"社保卡".to_string()));
    }
}
