//! The region tree (行政区划): province → city → county → town → village.

use crate::ids::RegionCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
    Town,
    Village,
}

impl RegionLevel {
    pub fn parse(s: &str) -> Option<RegionLevel> {
        Some(match s {
            "province" => RegionLevel::Province,
            "city" => RegionLevel::City,
            "county" => RegionLevel::County,
            "town" => RegionLevel::Town,
            "village" => RegionLevel::Village,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Town => "town",
            RegionLevel::Village => "village",
        }
    }

    /// The level a code of this many digits stands for.
    pub fn of_code(code: &RegionCode) -> RegionLevel {
        match code.as_str().len() {
            2 => RegionLevel::Province,
            4 => RegionLevel::City,
            6 => RegionLevel::County,
            9 => RegionLevel::Town,
            _ => RegionLevel::Village,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub parent: Option<RegionCode>,
    pub level: RegionLevel,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("第{line}行：{reason}")]
pub struct RegionRowError {
    pub line: usize,
    pub reason: String,
}

/// Parses `code,name,parent_code,level` rows (shared/data/regions.csv). Every row must be well-formed, its level
/// must match the length of its code, and its parent must be the code's prefix.
pub fn parse_regions_csv(text: &str) -> Result<Vec<Region>, RegionRowError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let err = |reason: String| RegionRowError { line, reason };
        let rec = rec.map_err(|e| err(format!("无法解析：{e}")))?;
        let field = |n: usize| rec.get(n).unwrap_or("").trim();
        let code = RegionCode::parse(field(0)).map_err(|e| err(e.to_string()))?;
        let level = RegionLevel::parse(field(3)).ok_or_else(|| err(format!("未知的层级“{}”", field(3))))?;
        if RegionLevel::of_code(&code) != level {
            return Err(err(format!("层级“{}”与代码位数不符", field(3))));
        }
        let parent = match field(2) {
            "" => None,
            p => {
                let p = RegionCode::parse(p).map_err(|e| err(e.to_string()))?;
                if !p.contains(&code) || p == code {
                    return Err(err(format!("上级代码{p}不是{code}的上级")));
                }
                Some(p)
            }
        };
        out.push(Region {
            code,
            name: field(1).to_string(),
            parent,
            level,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tree_and_rejects_mismatched_parent() {
        let ok = "code,name,parent_code,level\n43,湖南省,,province\n4306,岳阳市,43,city\n430603,云溪区,4306,county\n";
        let regions = parse_regions_csv(ok).unwrap();
        assert_eq!(regions.len(), 3);
        assert_eq!(regions[2].parent.as_ref().map(|p| p.as_str()), Some("4306"));
        let bad = "code,name,parent_code,level\n430603,云溪区,4307,county\n";
        assert_eq!(parse_regions_csv(bad).unwrap_err().line, 2);
        let bad_level = "code,name,parent_code,level\n430603,云溪区,4306,town\n";
        assert!(parse_regions_csv(bad_level).unwrap_err().reason.contains("层级"));
    }
}
