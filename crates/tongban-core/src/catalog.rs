//! The service catalog (事项目录): the guide elements of an item (办事指南, GB/T 39046-2020 表4), the import format
//! of data/catalog.csv (CSV or XLSX), and the guide-quality rules of provincial checks (动态监测).

use crate::form::FormDefinition;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::Cursor;

/// Item types of GB/T 39046-2020.
pub const ITEM_TYPES: [(&str, &str); 11] = [
    ("01", "行政许可"),
    ("02", "行政处罚"),
    ("03", "行政强制"),
    ("04", "行政征收"),
    ("05", "行政给付"),
    ("06", "行政检查"),
    ("07", "行政确认"),
    ("08", "行政奖励"),
    ("09", "行政裁决"),
    ("10", "其他行政权力"),
    ("20", "公共服务"),
];

pub fn item_type_label(code: &str) -> Option<&'static str> {
    ITEM_TYPES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// Where an item may be accepted: district (区/县), town (镇/街道), village (村/社区).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    County,
    Town,
    Village,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "区" | "县" | "county" => Some(Level::County),
            "镇" | "街道" | "town" => Some(Level::Town),
            "村" | "社区" | "village" => Some(Level::Village),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Level::County => "county",
            Level::Town => "town",
            Level::Village => "village",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Level::County => "区",
            Level::Town => "镇",
            Level::Village => "村",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub name: String,
    pub required: bool,
    /// May be missing at acceptance under 容缺受理 (marked with a trailing `*` in the import format).
    pub may_be_missing: bool,
    pub originals: u32,
    pub copies: u32,
}

/// An amount in fen as people read it: 12.50元.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}元", fen.abs() / 100, fen.abs() % 100)
}

/// The published guide of one item version: every element the public guide page and the API show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guide {
    pub code: String,
    pub name: String,
    /// Name of the implementing department, as the catalog writes it.
    pub department: String,
    pub item_type_code: String,
    pub service_objects: Vec<String>,
    pub legal_limit_days: u32,
    pub promised_limit_days: u32,
    pub visits: u32,
    pub visit_reason: String,
    pub online_depth: u8,
    pub fee_fen: i64,
    pub fee_basis: String,
    pub legal_basis: String,
    pub levels: Vec<Level>,
    pub all_region: bool,
    pub cross_province: bool,
    pub tolerance: bool,
    pub materials: Vec<Material>,
    pub consult_phone: String,
    pub supervise_phone: String,
    pub address: String,
    pub hours: String,
    pub conditions: String,
    /// 办理流程: the steps from application to result, in order.
    #[serde(default)]
    pub steps: Vec<String>,
    pub result_name: String,
    pub implementation_code: String,
    pub keywords: Vec<String>,
    /// The kind of e-licence approving this item issues (e.g. 食品经营许可证); empty when it issues none.
    #[serde(default)]
    pub result_licence: String,
    /// The application form; None: the default form for the item's service objects (see `Guide::form`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<FormDefinition>,
}

impl Guide {
    /// The form an applicant fills for this item: the guide's own, or the default one.
    pub fn application_form(&self) -> FormDefinition {
        self.form
            .clone()
            .unwrap_or_else(|| FormDefinition::default_for(&self.service_objects))
    }
    pub fn item_type_label(&self) -> &'static str {
        item_type_label(&self.item_type_code).unwrap_or("未知类型")
    }
    /// 即办件: decided on the spot.
    pub fn is_immediate(&self) -> bool {
        self.promised_limit_days == 0
    }
    pub fn depth_label(&self) -> &'static str {
        match self.online_depth {
            1 => "Ⅰ级（网上咨询）",
            2 => "Ⅱ级（网上预审）",
            3 => "Ⅲ级（网上受理）",
            _ => "Ⅳ级（全程网办）",
        }
    }
    pub fn fee_label(&self) -> String {
        if self.fee_fen == 0 {
            "不收费".to_string()
        } else {
            yuan(self.fee_fen)
        }
    }
    /// How much faster the promise is than the law, in percent (0 when the legal limit is 0).
    pub fn speedup_percent(&self) -> f64 {
        if self.legal_limit_days == 0 {
            0.0
        } else {
            100.0 * f64::from(self.legal_limit_days - self.promised_limit_days.min(self.legal_limit_days))
                / f64::from(self.legal_limit_days)
        }
    }
}

/// Checks an edited guide the way an import row is checked: returns (field, reason) for every fault.
pub fn validate(g: &Guide) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if g.name.trim().is_empty() {
        out.push(("name", "事项名称不能为空".to_string()));
    }
    if g.department.trim().is_empty() {
        out.push(("department", "实施部门不能为空".to_string()));
    }
    if item_type_label(&g.item_type_code).is_none() {
        out.push(("item_type_code", format!("未知的事项类型代码“{}”", g.item_type_code)));
    }
    if g.promised_limit_days > g.legal_limit_days {
        out.push((
            "promised_limit_days",
            format!(
                "承诺时限{}天超过法定时限{}天",
                g.promised_limit_days, g.legal_limit_days
            ),
        ));
    }
    if !(1..=4).contains(&g.online_depth) {
        out.push(("online_depth", "网办深度应为1至4".to_string()));
    }
    if g.levels.is_empty() {
        out.push(("levels", "至少选择一个办理层级".to_string()));
    }
    if g.fee_fen < 0 {
        out.push(("fee_fen", "收费金额不能为负数".to_string()));
    }
    out
}

/// One breach of a guide-quality rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QualityIssue {
    /// Stable machine code of the rule.
    pub rule: &'static str,
    pub message: String,
}

/// The quality rules of shared/DOMAIN.md: basis, phone and materials present; promised ≤ legal; visits ≠ 0 needs a
/// reason; depth Ⅳ ⇒ 0 visits; a fee needs its basis.
pub fn check_guide(g: &Guide) -> Vec<QualityIssue> {
    let mut out = Vec::new();
    let mut add = |rule, message: String| out.push(QualityIssue { rule, message });
    if g.legal_basis.trim().is_empty() {
        add("missing_basis", "缺少设定依据".into());
    }
    if g.consult_phone.trim().is_empty() {
        add("missing_phone", "缺少咨询电话".into());
    }
    if g.materials.is_empty() {
        add("missing_materials", "缺少申请材料".into());
    }
    if g.promised_limit_days > g.legal_limit_days {
        add(
            "promised_exceeds_legal",
            format!(
                "承诺时限{}个工作日超过法定时限{}个工作日",
                g.promised_limit_days, g.legal_limit_days
            ),
        );
    }
    if g.visits > 0 && g.visit_reason.trim().is_empty() {
        add(
            "visits_without_reason",
            format!("到现场次数为{}次，未说明必须到现场的原因", g.visits),
        );
    }
    if g.online_depth >= 4 && g.visits > 0 {
        add(
            "depth4_with_visits",
            format!("网办深度为Ⅳ级（全程网办），到现场次数却为{}次", g.visits),
        );
    }
    if g.fee_fen > 0 && g.fee_basis.trim().is_empty() {
        add("fee_without_basis", format!("收费{}，未列明收费依据", g.fee_label()));
    }
    out
}

/// Materials any item may ask for: the application itself, who the applicant is, a power of attorney.
const UNIVERSAL_MATERIALS: [&str; 6] = ["申请表", "申请书", "身份证", "身份证明", "营业执照", "委托"];

/// How many departments' items may name one material before it reads as a placeholder rather than what this item
/// needs: a site-use certificate or a design scheme is asked by a few kinds of item, not by a third of the bureaus.
pub const SHARED_MATERIAL_DEPARTMENTS: usize = 8;

/// The rules only the whole catalog can tell, by item code: items of one name whose time limits differ (the public
/// reads two promises for one service), and materials named by the items of many unrelated departments (a guide that
/// lists "相关证明材料" tells the applicant nothing).
pub fn check_catalog<'a>(guides: impl IntoIterator<Item = &'a Guide>) -> HashMap<String, Vec<QualityIssue>> {
    let guides: Vec<&Guide> = guides.into_iter().collect();
    let mut out: HashMap<String, Vec<QualityIssue>> = HashMap::new();
    let mut by_name: HashMap<&str, Vec<&Guide>> = HashMap::new();
    let mut departments_of: HashMap<&str, HashSet<&str>> = HashMap::new();
    for g in &guides {
        by_name.entry(g.name.as_str()).or_default().push(g);
        for m in &g.materials {
            departments_of
                .entry(m.name.as_str())
                .or_default()
                .insert(g.department.as_str());
        }
    }
    for same in by_name.values().filter(|v| v.len() > 1) {
        for g in same {
            let differing: Vec<String> = same
                .iter()
                .filter(|o| o.code != g.code)
                .filter(|o| (o.legal_limit_days, o.promised_limit_days) != (g.legal_limit_days, g.promised_limit_days))
                .map(|o| {
                    format!(
                        "{}（法定{}、承诺{}个工作日）",
                        o.code, o.legal_limit_days, o.promised_limit_days
                    )
                })
                .collect();
            if !differing.is_empty() {
                out.entry(g.code.clone()).or_default().push(QualityIssue {
                    rule: "same_name_limits_differ",
                    message: format!(
                        "同名事项时限不一致：本事项法定{}、承诺{}个工作日，另见{}",
                        g.legal_limit_days,
                        g.promised_limit_days,
                        differing.join("、")
                    ),
                });
            }
        }
    }
    for g in &guides {
        for m in &g.materials {
            let n = departments_of.get(m.name.as_str()).map_or(0, HashSet::len);
            if n >= SHARED_MATERIAL_DEPARTMENTS && !UNIVERSAL_MATERIALS.iter().any(|u| m.name.contains(u)) {
                out.entry(g.code.clone()).or_default().push(QualityIssue {
                    rule: "shared_material",
                    message: format!("材料“{}”在{n}个部门的事项中通用，应写明本事项具体需要什么", m.name),
                });
            }
        }
    }
    out
}

/// A bad cell or row of an import file: line (1 = header), column name and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "第{}行：{}", self.line, self.reason)
        } else {
            write!(f, "第{}行“{}”列：{}", self.line, self.column, self.reason)
        }
    }
}

/// A good row of an import, with the line it came from (so later checks, such as an unknown department, can name it).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    pub line: usize,
    pub value: T,
}

/// Result of parsing an import file: the good rows and the reasons for every bad one.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportParse<T> {
    pub rows: Vec<Parsed<T>>,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    /// By the file's leading bytes: XLSX is a ZIP container; anything else is read as CSV text.
    pub fn sniff(bytes: &[u8]) -> FileFormat {
        if bytes.starts_with(b"PK\x03\x04") {
            FileFormat::Xlsx
        } else {
            FileFormat::Csv
        }
    }
}

/// A table read from CSV or XLSX: a header row and the data rows with their line numbers.
struct Table {
    headers: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

fn read_table(bytes: &[u8]) -> Result<Table, RowError> {
    let file_error = |reason: String| RowError {
        line: 1,
        column: String::new(),
        reason,
    };
    match FileFormat::sniff(bytes) {
        FileFormat::Csv => {
            let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
                .map_err(|e| file_error(format!("文件不是UTF-8编码（第{}字节附近）", e.valid_up_to())))?;
            let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
            let headers = reader
                .headers()
                .map_err(|e| file_error(format!("无法读取表头：{e}")))?
                .iter()
                .map(|h| h.trim().to_string())
                .collect();
            let mut rows = Vec::new();
            for rec in reader.records() {
                match rec {
                    Ok(r) => {
                        let line = r.position().map(|p| p.line() as usize).unwrap_or(0);
                        rows.push((line, r.iter().map(str::to_string).collect()));
                    }
                    Err(e) => {
                        let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                        return Err(RowError {
                            line,
                            column: String::new(),
                            reason: format!("CSV格式错误：{e}"),
                        });
                    }
                }
            }
            Ok(Table { headers, rows })
        }
        FileFormat::Xlsx => {
            use calamine::{Reader, Xlsx};
            let mut book: Xlsx<_> =
                Xlsx::new(Cursor::new(bytes)).map_err(|e| file_error(format!("无法打开XLSX文件：{e}")))?;
            let range = book
                .worksheet_range_at(0)
                .ok_or_else(|| file_error("XLSX文件没有工作表".into()))?
                .map_err(|e| file_error(format!("无法读取第一个工作表：{e}")))?;
            let mut iter = range.rows();
            let headers = iter
                .next()
                .ok_or_else(|| file_error("工作表为空".into()))?
                .iter()
                .map(|c| c.to_string().trim().to_string())
                .collect();
            let rows = iter
                .enumerate()
                .map(|(i, r)| (i + 2, r.iter().map(cell_text).collect()))
                .filter(|(_, r): &(usize, Vec<String>)| r.iter().any(|c| !c.trim().is_empty()))
                .collect();
            Ok(Table { headers, rows })
        }
    }
}

/// Whole numbers typed into a spreadsheet arrive as floats; write them back as integers.
fn cell_text(c: &calamine::Data) -> String {
    match c {
        calamine::Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// The licence an item yields: the `result_licence` column when given (`无` for none); otherwise a 许可证核发 item
/// yields the licence its name issues (旅馆业特种行业许可证核发 → 旅馆业特种行业许可证), and other items none.
fn default_licence(name: &str, column: &str) -> String {
    match column.trim() {
        "无" | "否" | "N" => String::new(),
        "" => match name.find("许可证核发") {
            Some(at) => format!("{}许可证", &name[..at]),
            None => String::new(),
        },
        given => given.to_string(),
    }
}

/// Columns of the catalog import format; the first ones are required.
const CATALOG_REQUIRED: [&str; 12] = [
    "code",
    "name",
    "department",
    "item_type_code",
    "legal_limit_days",
    "promised_limit_days",
    "visits",
    "online_depth",
    "legal_basis",
    "levels",
    "materials",
    "consult_phone",
];
const CATALOG_OPTIONAL: [&str; 18] = [
    "item_type",
    "service_object",
    "fee_yuan",
    "all_region",
    "cross_province",
    "tolerance",
    "address",
    "implementation_code",
    "keywords",
    "visit_reason",
    "fee_basis",
    "supervise_phone",
    "hours",
    "conditions",
    "steps",
    "result_name",
    "result_licence",
    "form",
];

struct Columns {
    index: Vec<(String, usize)>,
}

impl Columns {
    fn new(headers: &[String], required: &[&str], optional: &[&str]) -> Result<Columns, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut index = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if !required.contains(&h.as_str()) && !optional.contains(&h.as_str()) {
                errors.push(RowError {
                    line: 1,
                    column: h.clone(),
                    reason: format!("未知的列“{h}”"),
                });
            } else if index.iter().any(|(n, _)| n == h) {
                errors.push(RowError {
                    line: 1,
                    column: h.clone(),
                    reason: "列重复".into(),
                });
            } else {
                index.push((h.clone(), i));
            }
        }
        for r in required {
            if !index.iter().any(|(n, _)| n == r) {
                errors.push(RowError {
                    line: 1,
                    column: (*r).into(),
                    reason: format!("缺少必需的列“{r}”"),
                });
            }
        }
        if errors.is_empty() {
            Ok(Columns { index })
        } else {
            Err(errors)
        }
    }

    fn get<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        self.index
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, i)| row.get(*i))
            .map(|s| s.trim())
            .unwrap_or("")
    }
}

/// Collects the reasons a row is bad, so one pass reports all of them.
struct RowCheck<'a> {
    line: usize,
    row: &'a [String],
    cols: &'a Columns,
    errors: Vec<RowError>,
}

impl<'a> RowCheck<'a> {
    fn text(&self, col: &str) -> &'a str {
        self.cols.get(self.row, col)
    }
    fn fail(&mut self, col: &str, reason: impl Into<String>) {
        self.errors.push(RowError {
            line: self.line,
            column: col.into(),
            reason: reason.into(),
        });
    }
    fn required(&mut self, col: &str) -> String {
        let v = self.text(col);
        if v.is_empty() {
            self.fail(col, "不能为空");
        }
        v.to_string()
    }
    fn whole(&mut self, col: &str, max: u32) -> u32 {
        let v = self.text(col);
        match v.parse::<u32>() {
            Ok(n) if n <= max => n,
            Ok(n) => {
                self.fail(col, format!("“{n}”超出范围（0–{max}）"));
                0
            }
            Err(_) => {
                self.fail(col, format!("“{v}”不是非负整数"));
                0
            }
        }
    }
    fn flag(&mut self, col: &str) -> bool {
        match self.text(col) {
            "" | "N" | "n" | "否" | "0" => false,
            "Y" | "y" | "是" | "1" => true,
            other => {
                self.fail(col, format!("“{other}”应为Y或N"));
                false
            }
        }
    }
}

/// Reads an import table (CSV or XLSX) with the given columns and makes each row a value with `row`, which names
/// every fault of the row on its `RowCheck`; a row with faults is reported, not kept.
fn parse_rows<T>(
    bytes: &[u8],
    required: &[&str],
    optional: &[&str],
    mut row: impl FnMut(&mut RowCheck) -> T,
) -> ImportParse<T> {
    let table = match read_table(bytes) {
        Ok(t) => t,
        Err(e) => {
            return ImportParse {
                rows: vec![],
                errors: vec![e],
            }
        }
    };
    let cols = match Columns::new(&table.headers, required, optional) {
        Ok(c) => c,
        Err(errors) => return ImportParse { rows: vec![], errors },
    };
    let mut out = ImportParse {
        rows: vec![],
        errors: vec![],
    };
    for (line, cells) in &table.rows {
        let mut c = RowCheck {
            line: *line,
            row: cells,
            cols: &cols,
            errors: vec![],
        };
        let value = row(&mut c);
        if c.errors.is_empty() {
            out.rows.push(Parsed { line: *line, value });
        } else {
            out.errors.append(&mut c.errors);
        }
    }
    out
}

/// Parses yuan with up to two decimals into fen.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([';', '；']).map(str::trim).filter(|s| !s.is_empty())
}

/// One material of the import format: `name` (a required original), `name*` (may be missing under 容缺受理), or
/// whole as `name#required#may_be_missing#originals#copies` (Y/N, Y/N, counts), e.g. `出生医学证明#Y#N#1#1`.
fn parse_material(text: &str) -> Result<Material, String> {
    let parts: Vec<&str> = text.split('#').map(str::trim).collect();
    if let [name, required, missing, originals, copies] = parts[..] {
        let flag = |v: &str| match v {
            "Y" | "y" => Ok(true),
            "N" | "n" => Ok(false),
            other => Err(format!("材料“{name}”的标记“{other}”应为Y或N")),
        };
        let count = |v: &str| {
            v.parse::<u32>()
                .ok()
                .filter(|n| *n <= 20)
                .ok_or_else(|| format!("材料“{name}”的份数“{v}”应为0至20"))
        };
        return Ok(Material {
            name: name.to_string(),
            required: flag(required)?,
            may_be_missing: flag(missing)?,
            originals: count(originals)?,
            copies: count(copies)?,
        });
    }
    if parts.len() > 1 {
        return Err(format!("材料“{text}”应写作 名称#是否必需#可否容缺#原件份数#复印件份数"));
    }
    let (name, may_be_missing) = match text.strip_suffix('*') {
        Some(n) => (n.trim(), true),
        None => (text, false),
    };
    Ok(Material {
        name: name.to_string(),
        required: true,
        may_be_missing,
        originals: 1,
        copies: 0,
    })
}

/// The steps column: `申请|受理|审查|决定|送达`.
fn parse_steps(text: &str) -> Vec<String> {
    text.split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Parses a catalog file (CSV or XLSX, columns of data/catalog.csv). Every bad row is reported with line, column and
/// reason; item codes must be unique within the file.
pub fn parse_catalog(bytes: &[u8]) -> ImportParse<Guide> {
    let mut seen = HashSet::new();
    parse_rows(bytes, &CATALOG_REQUIRED, &CATALOG_OPTIONAL, |c| {
        let code = c.required("code");
        if !code.is_empty() && !seen.insert(code.clone()) {
            c.fail("code", format!("事项编码“{code}”在文件中重复"));
        }
        if code.chars().any(|ch| ch.is_whitespace() || ch == '/') || code.len() > 64 {
            c.fail("code", "事项编码不能含空白或“/”，且不超过64个字符");
        }
        let name = c.required("name");
        let department = c.required("department");
        let item_type_code = c.required("item_type_code");
        match item_type_label(&item_type_code) {
            None if !item_type_code.is_empty() => {
                c.fail("item_type_code", format!("未知的事项类型代码“{item_type_code}”"))
            }
            Some(label) => {
                let given = c.text("item_type");
                if !given.is_empty() && given != label {
                    c.fail(
                        "item_type",
                        format!("“{given}”与类型代码{item_type_code}（{label}）不符"),
                    );
                }
            }
            None => {}
        }
        let legal = c.whole("legal_limit_days", 3650);
        let promised = c.whole("promised_limit_days", 3650);
        if promised > legal {
            c.fail(
                "promised_limit_days",
                format!("承诺时限{promised}天超过法定时限{legal}天"),
            );
        }
        let visits = c.whole("visits", 10);
        let depth = c.whole("online_depth", 4);
        if depth == 0 && c.text("online_depth") == "0" {
            c.fail("online_depth", "网办深度应为1至4");
        }
        let fee_fen = match parse_yuan(c.text("fee_yuan")) {
            Some(f) => f,
            None => {
                let v = c.text("fee_yuan").to_string();
                c.fail("fee_yuan", format!("“{v}”不是金额（元，至多两位小数）"));
                0
            }
        };
        let mut levels = Vec::new();
        for l in split_list(c.text("levels")) {
            match Level::parse(l) {
                Some(level) if !levels.contains(&level) => levels.push(level),
                Some(_) => {}
                None => c.fail("levels", format!("未知的层级“{l}”（应为区、镇、村）")),
            }
        }
        if levels.is_empty() && c.text("levels").is_empty() {
            c.fail("levels", "不能为空");
        }
        let service_objects: Vec<String> = split_list(c.text("service_object")).map(str::to_string).collect();
        for o in &service_objects {
            if !matches!(
                o.as_str(),
                "自然人" | "法人" | "非法人企业" | "其他组织" | "行政机关" | "事业法人" | "社会组织法人"
            ) {
                c.fail("service_object", format!("未知的服务对象“{o}”"));
            }
        }
        let form = match c.text("form") {
            "" => None,
            raw => match serde_json::from_str::<FormDefinition>(raw) {
                Ok(f) => match f.check() {
                    Ok(()) => Some(f),
                    Err(e) => {
                        c.fail("form", e.0);
                        None
                    }
                },
                Err(e) => {
                    c.fail("form", format!("表单定义不是有效的JSON：{e}"));
                    None
                }
            },
        };
        let name_for_licence = name.clone();
        let guide = Guide {
            form,
            name,
            department,
            item_type_code,
            service_objects,
            legal_limit_days: legal,
            promised_limit_days: promised,
            visits,
            visit_reason: c.text("visit_reason").into(),
            online_depth: depth as u8,
            fee_fen,
            fee_basis: c.text("fee_basis").into(),
            legal_basis: c.text("legal_basis").into(),
            levels,
            all_region: c.flag("all_region"),
            cross_province: c.flag("cross_province"),
            tolerance: c.flag("tolerance"),
            materials: {
                let mut list = vec![];
                for m in split_list(c.text("materials")) {
                    match parse_material(m) {
                        Ok(m) => list.push(m),
                        Err(e) => c.fail("materials", e),
                    }
                }
                list
            },
            consult_phone: c.text("consult_phone").into(),
            supervise_phone: c.text("supervise_phone").into(),
            address: c.text("address").into(),
            hours: c.text("hours").into(),
            conditions: c.text("conditions").into(),
            steps: parse_steps(c.text("steps")),
            result_name: c.text("result_name").into(),
            implementation_code: c.text("implementation_code").into(),
            keywords: split_list(c.text("keywords")).map(str::to_string).collect(),
            result_licence: default_licence(&name_for_licence, c.text("result_licence")),
            code,
        };
        guide
    })
}

/// One item's own guide content, written from public guidance (data/guides/common-items.csv), laid over the catalog's
/// columns of the same item: what an applicant needs to act (conditions, steps, the item's own materials, fee,
/// limits, basis), and how busy the item is.
#[derive(Debug, Clone, PartialEq)]
pub struct GuideOverlay {
    pub code: String,
    /// Must equal the catalog's name: the overlay is for that item and no other.
    pub name: String,
    /// The item's relative share of a district's yearly applications, 1–100.
    pub volume: u32,
    pub conditions: String,
    pub steps: Vec<String>,
    pub materials: Vec<Material>,
    pub fee_fen: Option<i64>,
    pub fee_basis: String,
    pub legal_limit_days: Option<u32>,
    pub promised_limit_days: Option<u32>,
    pub legal_basis: String,
    pub source: String,
}

const OVERLAY_OPTIONAL: [&str; 10] = [
    "conditions",
    "steps",
    "materials",
    "fee_yuan",
    "fee_basis",
    "legal_limit_days",
    "promised_limit_days",
    "legal_basis",
    "source",
    "volume",
];

/// Parses a guide overlay (columns of data/guides/common-items.csv); an empty cell keeps the catalog's value.
pub fn parse_guide_overlay(bytes: &[u8]) -> ImportParse<GuideOverlay> {
    parse_rows(bytes, &["code", "name"], &OVERLAY_OPTIONAL, |c| {
        let code = c.required("code");
        let name = c.required("name");
        let optional_days = |c: &mut RowCheck, col: &str| (!c.text(col).is_empty()).then(|| c.whole(col, 3650));
        let legal_limit_days = optional_days(c, "legal_limit_days");
        let promised_limit_days = optional_days(c, "promised_limit_days");
        let volume = if c.text("volume").is_empty() {
            1
        } else {
            c.whole("volume", 100).max(1)
        };
        let fee_fen = match c.text("fee_yuan") {
            "" => None,
            v => match parse_yuan(v) {
                Some(f) => Some(f),
                None => {
                    let v = v.to_string();
                    c.fail("fee_yuan", format!("“{v}”不是金额（元，至多两位小数）"));
                    None
                }
            },
        };
        let mut materials = vec![];
        for m in split_list(c.text("materials")) {
            match parse_material(m) {
                Ok(m) => materials.push(m),
                Err(e) => c.fail("materials", e),
            }
        }
        let overlay = GuideOverlay {
            conditions: c.text("conditions").into(),
            steps: parse_steps(c.text("steps")),
            fee_basis: c.text("fee_basis").into(),
            legal_basis: c.text("legal_basis").into(),
            source: c.text("source").into(),
            code,
            name,
            volume,
            materials,
            fee_fen,
            legal_limit_days,
            promised_limit_days,
        };
        overlay
    })
}

impl GuideOverlay {
    /// Lays the overlay's non-empty cells over the item's guide.
    pub fn apply(&self, g: &mut Guide) {
        let text = |mine: &str, theirs: &mut String| {
            if !mine.trim().is_empty() {
                *theirs = mine.trim().to_string();
            }
        };
        text(&self.conditions, &mut g.conditions);
        text(&self.fee_basis, &mut g.fee_basis);
        text(&self.legal_basis, &mut g.legal_basis);
        if !self.steps.is_empty() {
            g.steps = self.steps.clone();
        }
        if !self.materials.is_empty() {
            g.materials = self.materials.clone();
        }
        if let Some(f) = self.fee_fen {
            g.fee_fen = f;
        }
        if let Some(d) = self.legal_limit_days {
            g.legal_limit_days = d;
        }
        if let Some(d) = self.promised_limit_days {
            g.promised_limit_days = d;
        }
    }
}

/// Lays an overlay over a parsed catalog: each row over the item of its code, whose name it must carry; the result
/// is checked as any guide is. A row for an unknown item, or of another name, or leaving a guide invalid is an error
/// of the overlay's line.
pub fn overlay_catalog(catalog: &mut ImportParse<Guide>, overlay: &ImportParse<GuideOverlay>) -> Vec<RowError> {
    let mut errors = overlay.errors.clone();
    for o in &overlay.rows {
        let fail = |column: &str, reason: String| RowError {
            line: o.line,
            column: column.into(),
            reason,
        };
        let Some(g) = catalog.rows.iter_mut().find(|g| g.value.code == o.value.code) else {
            errors.push(fail("code", format!("目录中没有事项“{}”", o.value.code)));
            continue;
        };
        if g.value.name != o.value.name {
            errors.push(fail(
                "name",
                format!("事项“{}”在目录中名为“{}”", o.value.code, g.value.name),
            ));
            continue;
        }
        let mut laid = g.value.clone();
        o.value.apply(&mut laid);
        match validate(&laid).first() {
            Some((field, reason)) => errors.push(fail(field, reason.clone())),
            None => g.value = laid,
        }
    }
    errors
}

/// A 一件事一次办 bundle: several items applied for at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bundle {
    pub code: String,
    pub name: String,
    pub item_codes: Vec<String>,
}

/// Parses `code,name,item_codes` (item codes `;`-separated), CSV or XLSX.
pub fn parse_bundles(bytes: &[u8]) -> ImportParse<Bundle> {
    let mut seen = HashSet::new();
    parse_rows(bytes, &["code", "name", "item_codes"], &[], |c| {
        let code = c.required("code");
        if !code.is_empty() && !seen.insert(code.clone()) {
            c.fail("code", format!("主题编码“{code}”在文件中重复"));
        }
        let name = c.required("name");
        let item_codes: Vec<String> = split_list(c.text("item_codes")).map(str::to_string).collect();
        if item_codes.is_empty() {
            c.fail("item_codes", "至少包含一个事项");
        }
        Bundle { code, name, item_codes }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "code,name,department,item_type_code,item_type,service_object,legal_limit_days,promised_limit_days,visits,online_depth,fee_yuan,legal_basis,levels,all_region,cross_province,tolerance,materials,consult_phone,address,implementation_code,keywords";

    fn row(code: &str, legal: &str, promised: &str) -> String {
        format!("{code},食品经营许可证核发,区行政审批局,01,行政许可,法人,20,{promised},0,4,0,《食品安全法》,区;镇,Y,N,Y,申请书;营业执照*,0730-8302221,云溪区政务服务中心,X-1,开店")
            .replace(",20,", &format!(",{legal},"))
    }

    #[test]
    fn parses_good_rows_with_materials_and_flags() {
        let text = format!("{HEADER}\n{}\n", row("A-1", "20", "5"));
        let p = parse_catalog(text.as_bytes());
        assert_eq!(p.errors, vec![]);
        let g = &p.rows[0].value;
        assert_eq!(g.levels, vec![Level::County, Level::Town]);
        assert!(g.all_region && g.tolerance && !g.cross_province);
        assert_eq!(
            g.materials[1],
            Material {
                name: "营业执照".into(),
                required: true,
                may_be_missing: true,
                originals: 1,
                copies: 0
            }
        );
        assert_eq!(g.keywords, vec!["开店"]);
        assert_eq!(check_guide(g), vec![]);
    }

    #[test]
    fn reports_line_column_and_reason_for_each_fault() {
        let text = format!(
            "{HEADER}\n{}\n{}\n{}\n",
            row("A-1", "20", "5"),
            row("A-2", "5", "20"),
            row("A-1", "x", "3")
        );
        let p = parse_catalog(text.as_bytes());
        assert_eq!(p.rows.len(), 1);
        assert!(p.errors.contains(&RowError {
            line: 3,
            column: "promised_limit_days".into(),
            reason: "承诺时限20天超过法定时限5天".into()
        }));
        assert!(p
            .errors
            .iter()
            .any(|e| e.line == 4 && e.column == "code" && e.reason.contains("重复")));
        assert!(p
            .errors
            .iter()
            .any(|e| e.line == 4 && e.column == "legal_limit_days" && e.reason.contains("“x”")));
    }

    #[test]
    fn rejects_unknown_and_missing_columns() {
        let p = parse_catalog(b"code,name,colour\nA,B,red\n");
        assert!(p
            .errors
            .iter()
            .any(|e| e.column == "colour" && e.reason.contains("未知的列")));
        assert!(p
            .errors
            .iter()
            .any(|e| e.column == "department" && e.reason.contains("缺少")));
    }

    #[test]
    fn rejects_broken_csv_and_non_utf8() {
        let bad_quote = format!("{HEADER}\n\"A-1,unterminated\n");
        let p = parse_catalog(bad_quote.as_bytes());
        assert!(!p.errors.is_empty());
        let gbk = [0xc4u8, 0xe3, 0xba, 0xc3, b'\n'];
        assert!(parse_catalog(&gbk).errors[0].reason.contains("UTF-8"));
    }

    #[test]
    fn reads_xlsx_like_csv() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let text = format!("{HEADER}\n{}\n", row("X-9", "20", "7"));
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string(0, c as u16, h).unwrap();
        }
        for (c, v) in reader.records().next().unwrap().unwrap().iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) if headers[c].ends_with("_days") => sheet.write_number(1, c as u16, n).unwrap(),
                _ => sheet.write_string(1, c as u16, v).unwrap(),
            };
        }
        let bytes = book.save_to_buffer().unwrap();
        let p = parse_catalog(&bytes);
        assert_eq!(p.errors, vec![]);
        assert_eq!(p.rows[0].value.promised_limit_days, 7);
        assert_eq!(p.rows[0].line, 2);
    }

    #[test]
    fn quality_rules_name_each_breach() {
        let text = format!("{HEADER}\n{}\n", row("A-1", "20", "5"));
        let mut g = parse_catalog(text.as_bytes()).rows.remove(0).value;
        g.visits = 1;
        g.online_depth = 4;
        g.fee_fen = 8000;
        g.legal_basis.clear();
        g.consult_phone.clear();
        g.materials.clear();
        g.promised_limit_days = 30;
        let rules: Vec<&str> = check_guide(&g).iter().map(|i| i.rule).collect();
        assert_eq!(
            rules,
            vec![
                "missing_basis",
                "missing_phone",
                "missing_materials",
                "promised_exceeds_legal",
                "visits_without_reason",
                "depth4_with_visits",
                "fee_without_basis"
            ]
        );
    }

    #[test]
    fn yuan_to_fen() {
        assert_eq!(parse_yuan("80"), Some(8000));
        assert_eq!(parse_yuan("12.5"), Some(1250));
        assert_eq!(parse_yuan("0.05"), Some(5));
        assert_eq!(parse_yuan(""), Some(0));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("-1"), None);
    }

    #[test]
    fn shipped_catalog_and_bundles_parse_cleanly() {
        let p = parse_catalog(include_bytes!("../../../data/catalog.csv"));
        assert_eq!(p.errors, vec![]);
        assert_eq!(p.rows.len(), 1162);
        let b = parse_bundles(include_bytes!("../../../data/bundles.csv"));
        assert_eq!(b.errors, vec![]);
        assert_eq!(b.rows.len(), 9);
    }

    #[test]
    fn the_whole_catalog_tells_differing_namesakes_and_placeholder_materials() {
        let p = parse_catalog(include_bytes!("../../../data/catalog.csv"));
        let guides: Vec<Guide> = p.rows.into_iter().map(|r| r.value).collect();
        let issues = check_catalog(&guides);
        let flagged = |rule: &str| {
            let mut codes: Vec<&str> = issues
                .iter()
                .filter(|(_, list)| list.iter().any(|i| i.rule == rule))
                .map(|(c, _)| c.as_str())
                .collect();
            codes.sort();
            codes
        };
        // 建筑工程施工许可证核发 and 个体工商户设立登记 are each listed twice with different promises.
        assert_eq!(
            flagged("same_name_limits_differ"),
            ["430603-XK-0173", "430603-XK-0345", "430603-XK-0545", "430603-XK-0547"]
        );
        let placeholder = issues["430603-XK-0173"]
            .iter()
            .find(|i| i.rule == "same_name_limits_differ")
            .unwrap();
        assert!(
            placeholder.message.contains("430603-XK-0547（法定20、承诺5个工作日）"),
            "{}",
            placeholder.message
        );
        // "相关证明材料" is asked by 34 departments' items; the application form and the ID by all, rightly.
        let shared = flagged("shared_material");
        assert!(shared.len() > 600, "{}", shared.len());
        let messages: Vec<&str> = issues.values().flatten().map(|i| i.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("“相关证明材料”在34个部门")));
        assert!(!messages
            .iter()
            .any(|m| m.contains("“申请表”") || m.contains("居民身份证")));
        // One department's own specific material is no placeholder.
        let mut one = guides[0].clone();
        one.code = "X-1".into();
        one.materials = vec![Material {
            name: "食品经营设施设备布局图".into(),
            required: true,
            may_be_missing: false,
            originals: 1,
            copies: 0,
        }];
        assert!(check_catalog(&[one]).is_empty());
    }

    #[test]
    fn materials_are_written_short_or_whole() {
        let m = parse_material("出生医学证明#Y#N#1#1").unwrap();
        assert_eq!(
            (m.name.as_str(), m.required, m.may_be_missing, m.originals, m.copies),
            ("出生医学证明", true, false, 1, 1)
        );
        let m = parse_material("结婚证#N#Y#0#1").unwrap();
        assert!(!m.required && m.may_be_missing && m.originals == 0);
        assert!(parse_material("营业执照*").unwrap().may_be_missing);
        assert!(parse_material("户口簿#Y#N#1").unwrap_err().contains("名称#是否必需"));
        assert!(parse_material("户口簿#是#N#1#0").unwrap_err().contains("应为Y或N"));
        assert!(parse_material("户口簿#Y#N#1#99").unwrap_err().contains("0至20"));
    }

    #[test]
    fn an_overlay_lays_its_cells_over_the_named_item_only() {
        let mut catalog = parse_catalog(include_bytes!("../../../data/catalog.csv"));
        let code = catalog.rows[0].value.code.clone();
        let name = catalog.rows[0].value.name.clone();
        let header = "code,name,volume,conditions,steps,materials,fee_yuan,fee_basis,legal_limit_days,promised_limit_days,legal_basis,source";
        let file = format!(
            "{header}\n{code},{name},80,年满18周岁,申请|受理|决定,申请表#Y#N#1#0;房屋产权证明#Y#N#1#1,,,,3,,https://example.gov.cn/guide\n\
             X-404,没有的事项,5,,,,,,,,,\n{code},{name}（错名）,5,,,,,,,,,\n"
        );
        let overlay = parse_guide_overlay(file.as_bytes());
        assert_eq!(overlay.errors, vec![]);
        let errors = overlay_catalog(&mut catalog, &overlay);
        let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(columns, ["code", "name"], "{errors:?}");
        let g = &catalog.rows[0].value;
        assert_eq!(g.conditions, "年满18周岁");
        assert_eq!(g.steps, ["申请", "受理", "决定"]);
        assert_eq!(g.materials.len(), 2);
        assert_eq!(g.materials[1].copies, 1);
        assert_eq!(g.promised_limit_days, 3);
        // A promise beyond the legal limit is refused like any guide's, and the item keeps its own.
        let legal = g.legal_limit_days;
        let bad = format!("{header}\n{code},{name},1,,,,,,,{},,\n", legal + 1);
        let errors = overlay_catalog(&mut catalog, &parse_guide_overlay(bad.as_bytes()));
        assert_eq!(errors.len(), 1);
        assert_eq!(catalog.rows[0].value.promised_limit_days, 3);
    }

    /// The busiest items' own content (data/guides/common-items.csv) lies over the catalog cleanly: every row names an
    /// item of the catalog by its name, leaves a valid guide, and gives specific materials.
    #[test]
    fn shipped_guide_content_fits_the_catalog() {
        let mut catalog = parse_catalog(include_bytes!("../../../data/catalog.csv"));
        let overlay = parse_guide_overlay(include_bytes!("../../../data/guides/common-items.csv"));
        assert_eq!(overlay.errors, vec![]);
        assert_eq!(overlay_catalog(&mut catalog, &overlay), vec![]);
        for o in &overlay.rows {
            assert!(!o.value.source.is_empty(), "{}: the source is named", o.value.code);
            for m in &o.value.materials {
                assert!(!m.name.contains("相关证明材料"), "{}: {}", o.value.code, m.name);
            }
        }
        let guides: Vec<Guide> = catalog.rows.into_iter().map(|r| r.value).collect();
        let issues = check_catalog(&guides);
        for o in &overlay.rows {
            let rules: Vec<&str> = issues
                .get(&o.value.code)
                .into_iter()
                .flatten()
                .map(|i| i.rule)
                .collect();
            assert!(!rules.contains(&"same_name_limits_differ"), "{}", o.value.code);
        }
    }

    /// The catalog was built on another province's item list; a Hunan district's guides name no place and no
    /// provincial decree of another province (a clerk would read "成都等８市" as someone else's rule).
    #[test]
    fn shipped_catalog_names_no_other_province() {
        const ELSEWHERE: [&str; 36] = [
            "北京",
            "天津",
            "河北",
            "山西",
            "内蒙古",
            "辽宁",
            "吉林",
            "黑龙江",
            "上海",
            "江苏",
            "浙江",
            "安徽",
            "福建",
            "江西",
            "山东",
            "河南",
            "湖北",
            "广东",
            "广西",
            "海南",
            "重庆",
            "四川",
            "贵州",
            "云南",
            "西藏",
            "陕西",
            "甘肃",
            "青海",
            "宁夏",
            "新疆",
            "成都",
            "绵阳",
            "南充",
            "广安",
            "天府",
            "省政府令第349号",
        ];
        let p = parse_catalog(include_bytes!("../../../data/catalog.csv"));
        let offending: Vec<String> = p
            .rows
            .iter()
            .map(|r| &r.value)
            .flat_map(|g| {
                [
                    g.name.as_str(),
                    g.conditions.as_str(),
                    g.address.as_str(),
                    g.legal_basis.as_str(),
                ]
            })
            .filter(|text| ELSEWHERE.iter().any(|place| text.contains(place)))
            .map(String::from)
            .collect();
        assert_eq!(offending, Vec::<String>::new());
    }
}
