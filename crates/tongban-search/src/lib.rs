//! Chinese full-text search over the service catalog.
//!
//! Text is normalised (traditional → simplified, full-width → half-width, lower case), segmented by jieba in search
//! mode, and indexed by tantivy in memory; item names are also indexed as character bigrams so that a wrong or
//! missing character still finds the item. A query is read the way a citizen writes it: everyday words are mapped
//! to the official wording through a lexicon (开店 → 经营许可), filler words are dropped, pinyin typed without an
//! input method is turned back into the words it spells, and the rest is ranked by BM25 with name matches first.

mod lexicon;
mod text;

pub use lexicon::{Intent, Lexicon, PinyinMap};
pub use text::{normalize, Segmenter};

use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING};
use tantivy::tokenizer::{NgramTokenizer, TextAnalyzer};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SearchError {
    #[error("搜索索引错误：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("搜索索引写入器不可用")]
    WriterPoisoned,
}

/// What the index knows of one item.
#[derive(Debug, Clone, Default)]
pub struct ItemDoc {
    pub code: String,
    pub name: String,
    pub department: String,
    pub department_code: String,
    pub materials: Vec<String>,
    pub basis: String,
    pub keywords: Vec<String>,
    pub item_type: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub code: String,
    pub name: String,
    pub department: String,
    pub department_code: String,
    pub score: f32,
}

#[derive(Clone, Copy)]
struct Fields {
    region: Field,
    code: Field,
    name: Field,
    name_bigram: Field,
    department: Field,
    department_code: Field,
    materials: Field,
    basis: Field,
    keywords: Field,
    item_type: Field,
}

/// The catalog index of every region of the deployment, held in memory and rebuilt from the store at start.
#[derive(Clone)]
pub struct SearchIndex {
    reader: IndexReader,
    writer: Arc<Mutex<IndexWriter>>,
    fields: Fields,
    segmenter: Segmenter,
    lexicon: Arc<Lexicon>,
    /// The lexicon's spellings plus those of the words of every indexed item name.
    pinyin: Arc<RwLock<PinyinMap>>,
}

const JIEBA: &str = "tongban_jieba";
const BIGRAM: &str = "tongban_bigram";

/// Relative weight of a match in each field: the name says what an item is; the other fields only support it.
const NAME_BOOST: f32 = 3.0;
const KEYWORD_BOOST: f32 = 2.0;
const BIGRAM_BOOST: f32 = 0.6;
const DEPARTMENT_BOOST: f32 = 0.5;
const MATERIALS_BOOST: f32 = 0.3;
const BASIS_BOOST: f32 = 0.2;
/// Official wording reached through one everyday word: the best of its terms counts (a disjunction, so a word with
/// many readings does not outweigh the citizen's other words), the others a little.
const EXPANSION_BOOST: f32 = 1.0;
const EXPANSION_TIE_BREAKER: f32 = 0.15;
/// Reranking of the best matches by what the question wants done: a name carrying the verb of a stated wish
/// (变更 for “地址要改”) is lifted, a name carrying another wish's verb is lowered; with no wish stated, a first
/// application is the likelier one. Multiplicative, so it orders items of similar relevance and never makes an
/// unrelated item relevant.
const INTENT_LIFT: f32 = 1.3;
const OTHER_INTENT_DROP: f32 = 0.85;
const DEFAULT_LIFT: f32 = 1.05;
const DEFAULT_DROP: f32 = 0.9;
/// How many of the best matches are reranked.
/// The deepest place a search ranks; pages beyond it are empty (no catalog has so many items for one question).
pub const MAX_DEPTH: usize = 10_000;
const RERANK_DEPTH: usize = 60;

impl SearchIndex {
    pub fn new() -> Result<SearchIndex, SearchError> {
        let segmenter = Segmenter::new();
        let lexicon = Arc::new(Lexicon::builtin(&segmenter));
        let mut sb = Schema::builder();
        let jieba = |stored: bool| {
            let opts = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(JIEBA)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            );
            if stored {
                opts.set_stored()
            } else {
                opts
            }
        };
        let fields = Fields {
            region: sb.add_text_field("region", STRING),
            code: sb.add_text_field("code", STRING | STORED),
            name: sb.add_text_field("name", jieba(true)),
            name_bigram: sb.add_text_field(
                "name_bigram",
                TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(BIGRAM)
                        .set_index_option(IndexRecordOption::WithFreqs),
                ),
            ),
            department: sb.add_text_field("department", jieba(true)),
            department_code: sb.add_text_field("department_code", STRING | STORED),
            materials: sb.add_text_field("materials", jieba(false)),
            basis: sb.add_text_field("basis", jieba(false)),
            keywords: sb.add_text_field("keywords", jieba(false)),
            item_type: sb.add_text_field("item_type", jieba(false)),
        };
        let index = Index::create_in_ram(sb.build());
        index
            .tokenizers()
            .register(JIEBA, TextAnalyzer::from(segmenter.tokenizer()));
        let bigram = NgramTokenizer::new(2, 2, false)?;
        index
            .tokenizers()
            .register(BIGRAM, TextAnalyzer::builder(bigram).build());
        let writer = index.writer_with_num_threads(1, 30_000_000)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let pinyin = Arc::new(RwLock::new(lexicon.pinyin().clone()));
        Ok(SearchIndex {
            pinyin,
            reader,
            writer: Arc::new(Mutex::new(writer)),
            fields,
            segmenter,
            lexicon,
        })
    }

    pub fn segmenter(&self) -> &Segmenter {
        &self.segmenter
    }

    /// Replaces every document of `region` with `docs`.
    pub fn rebuild(&self, region: &str, docs: &[ItemDoc]) -> Result<(), SearchError> {
        let mut w = self.writer.lock().map_err(|_| SearchError::WriterPoisoned)?;
        w.delete_term(Term::from_field_text(self.fields.region, region));
        for d in docs {
            w.add_document(self.document(region, d))?;
        }
        w.commit()?;
        self.learn_spellings(docs);
        drop(w);
        self.reader.reload()?;
        Ok(())
    }

    /// Adds or replaces one item (after a catalog edit).
    pub fn upsert(&self, region: &str, d: &ItemDoc) -> Result<(), SearchError> {
        let mut w = self.writer.lock().map_err(|_| SearchError::WriterPoisoned)?;
        w.delete_term(Term::from_field_text(self.fields.code, &doc_key(region, &d.code)));
        w.add_document(self.document(region, d))?;
        w.commit()?;
        self.learn_spellings(std::slice::from_ref(d));
        drop(w);
        self.reader.reload()?;
        Ok(())
    }

    fn learn_spellings(&self, docs: &[ItemDoc]) {
        if let Ok(mut map) = self.pinyin.write() {
            for d in docs {
                for w in self.segmenter.words(&d.name) {
                    if w.chars().count() >= 2 {
                        map.add(&w);
                    }
                }
            }
        }
    }

    fn document(&self, region: &str, d: &ItemDoc) -> TantivyDocument {
        let f = self.fields;
        let name = normalize(&d.name);
        doc!(
            f.region => region,
            f.code => doc_key(region, &d.code),
            f.name => d.name.clone(),
            f.name_bigram => strip_punctuation(&name),
            f.department => d.department.clone(),
            f.department_code => d.department_code.clone(),
            f.materials => d.materials.join("；"),
            f.basis => d.basis.clone(),
            f.keywords => d.keywords.join("；"),
            f.item_type => d.item_type.clone(),
        )
    }

    /// Ranked items of `region` for a citizen's query (at most the first `MAX_DEPTH` are ranked); returns the number of matching items and one page of hits.
    pub fn search(
        &self,
        region: &str,
        query: &str,
        limit: usize,
        offset: usize,
    ) -> Result<(usize, Vec<Hit>), SearchError> {
        let analysed = self.analyse(query);
        let Some(q) = self.build_query(region, &analysed) else {
            return Ok((0, vec![]));
        };
        let searcher = self.reader.searcher();
        // A page beyond the deepest the index ranks answers the count and no hits, instead of asking the index to
        // rank (and allocate for) billions of places.
        if offset >= MAX_DEPTH {
            return Ok((searcher.search(&q, &Count)?, vec![]));
        }
        let depth = offset.saturating_add(limit).clamp(RERANK_DEPTH, MAX_DEPTH);
        let (top, total) = searcher.search(&q, &(TopDocs::with_limit(depth), Count))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let get = |f: Field| doc.get_first(f).and_then(|v| v.as_str()).unwrap_or("").to_string();
            let key = get(self.fields.code);
            let name = get(self.fields.name);
            hits.push(Hit {
                code: key.split_once('|').map(|(_, c)| c.to_string()).unwrap_or(key),
                score: score * self.intent_factor(&analysed, &normalize(&name)),
                name,
                department: get(self.fields.department),
                department_code: get(self.fields.department_code),
            });
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok((total, hits.into_iter().skip(offset).take(limit.max(1)).collect()))
    }

    fn intent_factor(&self, a: &Analysed, name: &str) -> f32 {
        let has = |words: &[String]| words.iter().any(|w| name.contains(w.as_str()));
        let other_words: Vec<String> = self
            .lexicon
            .all_intents()
            .filter(|i| !a.intents.iter().any(|s| s.name == i.name))
            .flat_map(|i| i.name_words.clone())
            .collect();
        let stated: Vec<&Intent> = a.intents.iter().filter(|i| !i.triggers_is_default()).collect();
        if stated.is_empty() {
            let default_words: Vec<String> = a.intents.iter().flat_map(|i| i.name_words.clone()).collect();
            return if has(&default_words) {
                DEFAULT_LIFT
            } else if has(&other_words) {
                DEFAULT_DROP
            } else {
                1.0
            };
        }
        if stated.iter().any(|i| has(&i.name_words)) {
            INTENT_LIFT
        } else if has(&other_words) {
            OTHER_INTENT_DROP
        } else {
            1.0
        }
    }

    /// The words a query is searched with, after normalising, pinyin, the lexicon and the stopwords — shown to
    /// staff so they can see why an item was or was not found.
    pub fn explain(&self, query: &str) -> (Vec<String>, Vec<String>) {
        let a = self.analyse(query);
        let text = normalize(query);
        let text = match self.pinyin.read() {
            Ok(map) => map.to_hanzi(&text),
            Err(_) => text,
        };
        (a.own, self.lexicon.expansions(&text).into_iter().flatten().collect())
    }

    fn analyse(&self, query: &str) -> Analysed {
        let text = normalize(query);
        let text = match self.pinyin.read() {
            Ok(map) => map.to_hanzi(&text),
            Err(_) => text,
        };
        let own: Vec<String> = self
            .segmenter
            .words(&text)
            .into_iter()
            .filter(|w| !self.lexicon.is_stopword(w))
            .collect();
        let expanded = self
            .lexicon
            .expansions(&text)
            .into_iter()
            .map(|terms| {
                terms
                    .iter()
                    .map(|t| {
                        self.segmenter
                            .words(t)
                            .into_iter()
                            .filter(|w| !self.lexicon.is_stopword(w))
                            .collect::<Vec<_>>()
                    })
                    .filter(|words| !words.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|terms| !terms.is_empty())
            .collect();
        let intents = self.lexicon.intents(&text).into_iter().cloned().collect();
        // Bigrams of the meaningful words only, so a wrong character still matches most of a name.
        let bigrams = strip_punctuation(&own.concat());
        Analysed {
            own,
            expanded,
            intents,
            bigrams,
        }
    }

    /// One word sought in every field, each with its weight.
    fn word_query(&self, word: &str, weight: f32) -> Box<dyn Query> {
        let f = self.fields;
        let clauses = [
            (f.name, NAME_BOOST),
            (f.keywords, KEYWORD_BOOST),
            (f.department, DEPARTMENT_BOOST),
            (f.materials, MATERIALS_BOOST),
            (f.basis, BASIS_BOOST),
            (f.item_type, BASIS_BOOST),
        ]
        .into_iter()
        .map(|(field, boost)| -> (Occur, Box<dyn Query>) {
            let term = TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs);
            (Occur::Should, Box::new(BoostQuery::new(Box::new(term), boost * weight)))
        })
        .collect();
        Box::new(BooleanQuery::new(clauses))
    }

    fn build_query(&self, region: &str, a: &Analysed) -> Option<BooleanQuery> {
        let f = self.fields;
        let mut content: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in &a.own {
            content.push((Occur::Should, self.word_query(w, 1.0)));
        }
        for terms in &a.expanded {
            let readings: Vec<Box<dyn Query>> = terms
                .iter()
                .map(|words| -> Box<dyn Query> {
                    let clauses = words
                        .iter()
                        .map(|w| (Occur::Should, self.word_query(w, EXPANSION_BOOST)))
                        .collect();
                    Box::new(BooleanQuery::new(clauses))
                })
                .collect();
            content.push((
                Occur::Should,
                Box::new(DisjunctionMaxQuery::with_tie_breaker(readings, EXPANSION_TIE_BREAKER)),
            ));
        }
        let chars: Vec<char> = a.bigrams.chars().collect();
        for pair in chars.windows(2) {
            let s: String = pair.iter().collect();
            let term = TermQuery::new(Term::from_field_text(f.name_bigram, &s), IndexRecordOption::WithFreqs);
            content.push((Occur::Should, Box::new(BoostQuery::new(Box::new(term), BIGRAM_BOOST))));
        }
        if content.is_empty() {
            return None;
        }
        let region_term = TermQuery::new(Term::from_field_text(f.region, region), IndexRecordOption::Basic);
        Some(BooleanQuery::new(vec![
            (Occur::Must, Box::new(region_term)),
            (Occur::Must, Box::new(BooleanQuery::new(content))),
        ]))
    }
}

struct Analysed {
    /// The question's own meaningful words.
    own: Vec<String>,
    /// Per everyday word found: its official terms, each as words.
    expanded: Vec<Vec<Vec<String>>>,
    /// What the question wants done (or the default wish).
    intents: Vec<Intent>,
    bigrams: String,
}

/// Item codes are unique per region only; the index keys documents by both.
fn doc_key(region: &str, code: &str) -> String {
    format!("{region}|{code}")
}

fn strip_punctuation(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(code: &str, name: &str, department: &str) -> ItemDoc {
        ItemDoc {
            code: code.into(),
            name: name.into(),
            department: department.into(),
            department_code: "d".into(),
            materials: vec!["申请表".into()],
            basis: "《条例》".into(),
            keywords: vec![],
            item_type: "行政许可".into(),
        }
    }

    fn index() -> SearchIndex {
        let idx = SearchIndex::new().unwrap();
        idx.rebuild(
            "430603",
            &[
                doc("A", "食品经营许可证核发", "区行政审批局"),
                doc("B", "社会保障卡挂失", "区人社局"),
                doc("C", "义务教育阶段学生入学", "区教科体局"),
                doc("D", "户口登记（出生登记）", "区公安分局"),
                doc("E", "林木采伐许可证核发", "区林业局"),
            ],
        )
        .unwrap();
        idx.rebuild("370683", &[doc("Z", "食品经营许可证核发", "莱州市行政审批服务局")])
            .unwrap();
        idx
    }

    fn top(idx: &SearchIndex, q: &str) -> Vec<String> {
        idx.search("430603", q, 3, 0)
            .unwrap()
            .1
            .into_iter()
            .map(|h| h.code)
            .collect()
    }

    #[test]
    fn a_page_far_beyond_the_results_is_empty_not_a_huge_allocation() {
        let idx = index();
        let (total, hits) = idx.search("430603", "许可证", 20, 100_000_000_000 * 20).unwrap();
        assert!(total >= 2 && hits.is_empty(), "{total} {hits:?}");
        let (_, hits) = idx.search("430603", "许可证", 20, usize::MAX).unwrap();
        assert!(hits.is_empty());
    }

    #[test]
    fn finds_by_official_name_and_stays_in_region() {
        let idx = index();
        assert_eq!(top(&idx, "食品经营许可")[0], "A");
        assert_eq!(idx.search("370683", "食品经营许可", 3, 0).unwrap().1[0].code, "Z");
        let (total, all) = idx.search("430603", "食品经营许可", 10, 0).unwrap();
        assert_eq!(total, all.len());
        assert!(
            all.iter().all(|h| h.code != "Z"),
            "another district's item leaked: {all:?}"
        );
    }

    #[test]
    fn reads_everyday_words_traditional_characters_typos_and_pinyin() {
        let idx = index();
        assert_eq!(top(&idx, "我想开个奶茶店要办什么证")[0], "A");
        assert_eq!(top(&idx, "社保卡丢了怎么办")[0], "B");
        assert_eq!(top(&idx, "孩子上小学怎么报名")[0], "C");
        assert_eq!(top(&idx, "社會保障卡")[0], "B");
        assert_eq!(top(&idx, "林木采代许可")[0], "E");
        assert_eq!(top(&idx, "shebaoka")[0], "B");
    }

    #[test]
    fn upsert_follows_edits_and_empty_query_finds_nothing() {
        let idx = index();
        idx.upsert("430603", &doc("B", "残疾人证新办", "区残联")).unwrap();
        assert_eq!(top(&idx, "残疾人证")[0], "B");
        assert!(!top(&idx, "社会保障卡").contains(&"B".to_string()));
        assert_eq!(idx.search("430603", "  的了吗 ", 3, 0).unwrap().0, 0);
    }
}
