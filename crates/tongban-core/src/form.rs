//! Application forms as data (申请表单): an item's form is a list of fields — label, type, required, limits, help,
//! a condition on another field — kept in the guide and versioned with it. The one definition validates a filing
//! (every failing field named, in Chinese), is published as JSON Schema for API clients, and drives the HTML form.

use crate::ids::{CreditCode, Phone, ResidentId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// How long a free-text answer may be when the definition sets no limit, so that a form cannot carry a book.
pub const DEFAULT_TEXT_LIMIT: u32 = 500;
/// The most rows a table field takes when the definition sets no limit.
pub const DEFAULT_ROW_LIMIT: u32 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDefinition {
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The key the answer is stored under: lower-case letters, digits and `_`.
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// For text: the most characters; for tables: the most rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// For numbers: the smallest and largest value allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// For choice and multi-choice: the options offered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help: String,
    /// Shown (and validated) only when another field has this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_when: Option<Condition>,
    /// For tables: the columns of each row (no nested tables).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<Field>,
    /// Filled in from what the platform already knows of the applicant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<Prefill>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Date,
    Choice,
    MultiChoice,
    IdNumber,
    CreditCode,
    Phone,
    Address,
    Table,
}

impl FieldKind {
    pub fn label(self) -> &'static str {
        match self {
            FieldKind::Text => "文本",
            FieldKind::Number => "数字",
            FieldKind::Date => "日期",
            FieldKind::Choice => "单选",
            FieldKind::MultiChoice => "多选",
            FieldKind::IdNumber => "身份证号码",
            FieldKind::CreditCode => "统一社会信用代码",
            FieldKind::Phone => "手机号码",
            FieldKind::Address => "地址",
            FieldKind::Table => "表格",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub equals: String,
}

/// What the platform knows of a signed-in applicant, by the field it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    Name,
    IdNumber,
    Phone,
    Address,
    EnterpriseName,
    CreditCode,
    LegalRepresentative,
}

/// One field that failed, as the applicant reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// A definition that cannot be used (an administrator's edit), named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DefinitionError(pub String);

impl FormDefinition {
    /// The form of an item whose guide defines none: who applies is the signed-in identity; the form asks how to
    /// reach them, where, and what for — the three things every real application states.
    pub fn default_for(service_objects: &[String]) -> FormDefinition {
        let enterprise = service_objects.iter().any(|o| o.contains("法人") || o.contains("企业"));
        let mut fields = vec![
            Field::new("contact_name", "联系人姓名", FieldKind::Text, true)
                .limit(50)
                .prefill(Prefill::Name),
            Field::new("contact_phone", "联系电话", FieldKind::Phone, true).prefill(Prefill::Phone),
            Field::new("address", "联系地址", FieldKind::Address, true)
                .limit(200)
                .prefill(Prefill::Address)
                .help("申请人住所或经营场所的详细地址"),
        ];
        if enterprise {
            fields.push(
                Field::new("enterprise_name", "单位名称", FieldKind::Text, false)
                    .limit(100)
                    .prefill(Prefill::EnterpriseName),
            );
            fields.push(
                Field::new("legal_representative", "法定代表人", FieldKind::Text, false)
                    .limit(50)
                    .prefill(Prefill::LegalRepresentative),
            );
        }
        fields.push(
            Field::new("purpose", "申请事由", FieldKind::Text, true)
                .limit(DEFAULT_TEXT_LIMIT)
                .help("简要说明申请办理的内容和原因"),
        );
        fields.push(Field::new("remarks", "备注", FieldKind::Text, false).limit(DEFAULT_TEXT_LIMIT));
        FormDefinition { fields }
    }

    /// Checks that the definition itself can be filled: names unique and well-formed, options where needed,
    /// conditions on earlier fields, limits that make sense.
    pub fn check(&self) -> Result<(), DefinitionError> {
        if self.fields.is_empty() {
            return Err(DefinitionError("表单至少需要一个字段".into()));
        }
        check_fields(&self.fields, true)
    }

    /// Validates answers against the form. Returns the answers kept (fields of the form that are shown, normalised:
    /// ID numbers and credit codes upper-cased, phones without separators), or every failing field.
    pub fn validate(&self, answers: &Value) -> Result<Map<String, Value>, Vec<FieldError>> {
        let empty = Map::new();
        let answers = match answers {
            Value::Object(m) => m,
            Value::Null => &empty,
            _ => {
                return Err(vec![FieldError {
                    field: String::new(),
                    code: "form_not_object",
                    message: "表单内容应为以字段名为键的对象".into(),
                }])
            }
        };
        let mut errors = Vec::new();
        for key in answers.keys() {
            if !self.fields.iter().any(|f| &f.name == key) {
                errors.push(FieldError {
                    field: key.clone(),
                    code: "unknown_field",
                    message: format!("表单中没有“{key}”这一项"),
                });
            }
        }
        let mut kept = Map::new();
        for f in &self.fields {
            if !self.is_shown(f, answers) {
                continue;
            }
            match f.check_value(answers.get(&f.name), &f.label) {
                Ok(Some(v)) => {
                    kept.insert(f.name.clone(), v);
                }
                Ok(None) => {}
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(kept)
        } else {
            Err(errors)
        }
    }

    /// Whether a field is asked for, given the answers: a conditional field only when its condition holds.
    pub fn is_shown(&self, f: &Field, answers: &Map<String, Value>) -> bool {
        match &f.show_when {
            None => true,
            Some(c) => match answers.get(&c.field) {
                Some(Value::String(s)) => s.trim() == c.equals,
                Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(c.equals.as_str())),
                Some(Value::Number(n)) => n.to_string() == c.equals,
                Some(Value::Bool(b)) => b.to_string() == c.equals,
                _ => false,
            },
        }
    }

    /// The form as a JSON Schema (draft 2020-12) for API clients: types, limits, patterns, required fields, and
    /// conditional fields as `if`/`then`.
    pub fn json_schema(&self, title: &str) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut conditions = Vec::new();
        for f in &self.fields {
            properties.insert(f.name.clone(), f.schema());
            match (&f.show_when, f.required) {
                (None, true) => required.push(json!(f.name)),
                (Some(c), true) => conditions.push(json!({
                    "if": {"properties": {c.field.clone(): {"const": c.equals}}, "required": [c.field]},
                    "then": {"required": [f.name]}
                })),
                _ => {}
            }
        }
        let mut schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": title,
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        });
        if !conditions.is_empty() {
            schema["allOf"] = Value::Array(conditions);
        }
        schema
    }
}

fn check_fields(fields: &[Field], top: bool) -> Result<(), DefinitionError> {
    let mut seen: Vec<&str> = Vec::new();
    for f in fields {
        let named = !f.name.is_empty()
            && f.name.len() <= 40
            && f.name.starts_with(|c: char| c.is_ascii_lowercase())
            && f.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !named {
            return Err(DefinitionError(format!(
                "字段名“{}”应以小写字母开头，只含小写字母、数字和下划线（至多40个字符）",
                f.name
            )));
        }
        if seen.contains(&f.name.as_str()) {
            return Err(DefinitionError(format!("字段名“{}”重复", f.name)));
        }
        if f.label.trim().is_empty() {
            return Err(DefinitionError(format!("字段“{}”缺少标题", f.name)));
        }
        match f.kind {
            FieldKind::Choice | FieldKind::MultiChoice if f.options.is_empty() => {
                return Err(DefinitionError(format!("选择项“{}”须列出选项", f.label)));
            }
            FieldKind::Table if !top => return Err(DefinitionError(format!("表格“{}”中不能再嵌套表格", f.label))),
            FieldKind::Table if f.columns.is_empty() => {
                return Err(DefinitionError(format!("表格“{}”须列出各列", f.label)));
            }
            FieldKind::Table => check_fields(&f.columns, false)?,
            _ => {}
        }
        if let (Some(min), Some(max)) = (f.min, f.max) {
            if min > max {
                return Err(DefinitionError(format!("字段“{}”的最小值大于最大值", f.label)));
            }
        }
        if let Some(c) = &f.show_when {
            if !top {
                return Err(DefinitionError(format!("表格列“{}”不能设置显示条件", f.label)));
            }
            if !seen.contains(&c.field.as_str()) {
                return Err(DefinitionError(format!(
                    "字段“{}”的显示条件应引用排在它前面的字段，而“{}”不是",
                    f.label, c.field
                )));
            }
        }
        seen.push(&f.name);
    }
    Ok(())
}

impl Field {
    pub fn new(name: &str, label: &str, kind: FieldKind, required: bool) -> Field {
        Field {
            name: name.into(),
            label: label.into(),
            kind,
            required,
            max_length: None,
            min: None,
            max: None,
            options: Vec::new(),
            help: String::new(),
            show_when: None,
            columns: Vec::new(),
            prefill: None,
        }
    }
    pub fn limit(mut self, n: u32) -> Field {
        self.max_length = Some(n);
        self
    }
    pub fn prefill(mut self, p: Prefill) -> Field {
        self.prefill = Some(p);
        self
    }
    pub fn help(mut self, h: &str) -> Field {
        self.help = h.into();
        self
    }
    pub fn options(mut self, options: &[&str]) -> Field {
        self.options = options.iter().map(|o| o.to_string()).collect();
        self
    }
    pub fn shown_when(mut self, field: &str, equals: &str) -> Field {
        self.show_when = Some(Condition {
            field: field.into(),
            equals: equals.into(),
        });
        self
    }
    pub fn columns(mut self, columns: Vec<Field>) -> Field {
        self.columns = columns;
        self
    }

    fn text_limit(&self) -> u32 {
        self.max_length.unwrap_or(DEFAULT_TEXT_LIMIT)
    }

    /// Checks one answer; `Ok(None)` for an optional field left empty. `path` names the field in messages (a
    /// table's column is named with its row).
    fn check_value(&self, v: Option<&Value>, path: &str) -> Result<Option<Value>, Vec<FieldError>> {
        let fail = |code: &'static str, message: String| {
            Err(vec![FieldError {
                field: self.name.clone(),
                code,
                message,
            }])
        };
        let blank = match v {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            _ => false,
        };
        if blank {
            return if self.required {
                fail("required", format!("请填写“{path}”"))
            } else {
                Ok(None)
            };
        }
        let v = v.unwrap_or(&Value::Null);
        let text = || match v {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        match self.kind {
            FieldKind::Text | FieldKind::Address => {
                let Some(s) = text() else {
                    return fail("not_text", format!("“{path}”应为文字"));
                };
                let limit = self.text_limit();
                if s.chars().count() > limit as usize {
                    return fail("too_long", format!("“{path}”不能超过{limit}个字"));
                }
                Ok(Some(Value::String(s)))
            }
            FieldKind::Number => {
                let n = match v {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
                    _ => None,
                };
                let Some(n) = n else {
                    return fail("not_number", format!("“{path}”应为数字"));
                };
                if let Some(min) = self.min.filter(|min| n < *min) {
                    return fail("too_small", format!("“{path}”不能小于{min}"));
                }
                if let Some(max) = self.max.filter(|max| n > *max) {
                    return fail("too_large", format!("“{path}”不能大于{max}"));
                }
                Ok(Some(json!(n)))
            }
            FieldKind::Date => match text().and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()) {
                Some(d) => Ok(Some(Value::String(d.format("%Y-%m-%d").to_string()))),
                None => fail("not_date", format!("“{path}”应为日期，格式如2026-12-07")),
            },
            FieldKind::Choice => match text() {
                Some(s) if self.options.contains(&s) => Ok(Some(Value::String(s))),
                _ => fail(
                    "not_an_option",
                    format!("“{path}”应从以下选项中选择：{}", self.options.join("、")),
                ),
            },
            FieldKind::MultiChoice => {
                let picked: Option<Vec<String>> = match v {
                    Value::Array(a) => a.iter().map(|x| x.as_str().map(|s| s.trim().to_string())).collect(),
                    Value::String(s) => Some(vec![s.trim().to_string()]),
                    _ => None,
                };
                match picked {
                    Some(p) if p.iter().all(|s| self.options.contains(s)) => {
                        let mut kept: Vec<String> = Vec::new();
                        for s in p {
                            if !kept.contains(&s) {
                                kept.push(s);
                            }
                        }
                        Ok(Some(json!(kept)))
                    }
                    _ => fail(
                        "not_an_option",
                        format!("“{path}”只能从以下选项中选择：{}", self.options.join("、")),
                    ),
                }
            }
            FieldKind::IdNumber => match text().map(|s| ResidentId::parse(&s.to_uppercase())) {
                Some(Ok(id)) => Ok(Some(Value::String(id.as_str().to_string()))),
                Some(Err(e)) => fail("invalid_id_number", format!("“{path}”：{e}")),
                None => fail("invalid_id_number", format!("“{path}”应为18位身份证号码")),
            },
            FieldKind::CreditCode => match text().map(|s| CreditCode::parse(&s.to_uppercase())) {
                Some(Ok(c)) => Ok(Some(Value::String(c.as_str().to_string()))),
                Some(Err(e)) => fail("invalid_credit_code", format!("“{path}”：{e}")),
                None => fail("invalid_credit_code", format!("“{path}”应为18位统一社会信用代码")),
            },
            FieldKind::Phone => match text().map(|s| Phone::parse(&s)) {
                Some(Ok(p)) => Ok(Some(Value::String(p.as_str().to_string()))),
                Some(Err(e)) => fail("invalid_phone", format!("“{path}”：{e}")),
                None => fail("invalid_phone", format!("“{path}”应为11位手机号码")),
            },
            FieldKind::Table => {
                let Value::Array(rows) = v else {
                    return fail("not_table", format!("“{path}”应为由行组成的列表"));
                };
                let limit = self.max_length.unwrap_or(DEFAULT_ROW_LIMIT);
                if rows.len() > limit as usize {
                    return fail("too_many_rows", format!("“{path}”至多填写{limit}行"));
                }
                let mut errors = Vec::new();
                let mut kept_rows = Vec::new();
                for (i, row) in rows.iter().enumerate() {
                    let Value::Object(cells) = row else {
                        errors.push(FieldError {
                            field: format!("{}[{i}]", self.name),
                            code: "not_row",
                            message: format!("“{path}”第{}行应为以列名为键的对象", i + 1),
                        });
                        continue;
                    };
                    let mut kept = Map::new();
                    for c in &self.columns {
                        let at = format!("{path}第{}行“{}”", i + 1, c.label);
                        match c.check_value(cells.get(&c.name), &at) {
                            Ok(Some(v)) => {
                                kept.insert(c.name.clone(), v);
                            }
                            Ok(None) => {}
                            Err(es) => errors.extend(es.into_iter().map(|e| FieldError {
                                field: format!("{}[{i}].{}", self.name, c.name),
                                ..e
                            })),
                        }
                    }
                    kept_rows.push(Value::Object(kept));
                }
                if errors.is_empty() {
                    Ok(Some(Value::Array(kept_rows)))
                } else {
                    Err(errors)
                }
            }
        }
    }

    fn schema(&self) -> Value {
        let mut s = match self.kind {
            FieldKind::Text | FieldKind::Address => json!({"type": "string", "maxLength": self.text_limit()}),
            FieldKind::Number => {
                let mut s = json!({"type": "number"});
                if let Some(min) = self.min {
                    s["minimum"] = json!(min);
                }
                if let Some(max) = self.max {
                    s["maximum"] = json!(max);
                }
                s
            }
            FieldKind::Date => json!({"type": "string", "format": "date"}),
            FieldKind::Choice => json!({"type": "string", "enum": self.options}),
            FieldKind::MultiChoice => {
                json!({"type": "array", "items": {"type": "string", "enum": self.options}, "uniqueItems": true})
            }
            FieldKind::IdNumber => json!({"type": "string", "pattern": "^[0-9]{17}[0-9Xx]$"}),
            FieldKind::CreditCode => {
                json!({"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$"})
            }
            FieldKind::Phone => json!({"type": "string", "pattern": "^1[3-9][0-9]{9}$"}),
            FieldKind::Table => {
                let mut props = Map::new();
                let mut required = Vec::new();
                for c in &self.columns {
                    props.insert(c.name.clone(), c.schema());
                    if c.required {
                        required.push(json!(c.name));
                    }
                }
                json!({
                    "type": "array",
                    "maxItems": self.max_length.unwrap_or(DEFAULT_ROW_LIMIT),
                    "items": {"type": "object", "properties": props, "required": required, "additionalProperties": false}
                })
            }
        };
        s["title"] = json!(self.label);
        if !self.help.is_empty() {
            s["description"] = json!(self.help);
        }
        if self.required && matches!(self.kind, FieldKind::Table | FieldKind::MultiChoice) {
            s["minItems"] = json!(1);
        } else if self.required && self.kind != FieldKind::Number {
            s["minLength"] = json!(1);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> FormDefinition {
        FormDefinition {
            fields: vec![
                Field::new("shop", "店铺名称", FieldKind::Text, true).limit(10),
                Field::new("area", "经营面积（平方米）", FieldKind::Number, true),
                Field::new("kind", "经营类别", FieldKind::Choice, true).options(&["餐饮", "零售"]),
                Field::new("seats", "座位数", FieldKind::Number, true).shown_when("kind", "餐饮"),
                Field::new("staff", "从业人员", FieldKind::Table, false).columns(vec![
                    Field::new("name", "姓名", FieldKind::Text, true),
                    Field::new("id", "身份证号码", FieldKind::IdNumber, true),
                ]),
            ],
        }
        .with_area_limits()
    }

    impl FormDefinition {
        fn with_area_limits(mut self) -> FormDefinition {
            self.fields[1].min = Some(1.0);
            self.fields[1].max = Some(10000.0);
            self
        }
    }

    #[test]
    fn names_every_failing_field_and_keeps_nothing_unknown() {
        let errors = form()
            .validate(&json!({"shop": "一二三四五六七八九十一", "area": "0", "kind": "餐饮", "extra": 1}))
            .unwrap_err();
        let codes: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("extra", "unknown_field"),
                ("shop", "too_long"),
                ("area", "too_small"),
                ("seats", "required")
            ]
        );
        assert!(errors[3].message.contains("座位数"), "{errors:?}");
    }

    #[test]
    fn a_conditional_field_is_asked_only_when_its_condition_holds() {
        let kept = form()
            .validate(&json!({"shop": "小店", "area": 20, "kind": "零售", "seats": "x"}))
            .unwrap();
        assert!(!kept.contains_key("seats"), "a hidden field is dropped, not checked");
        assert_eq!(kept["area"], json!(20.0));
    }

    #[test]
    fn table_rows_are_checked_cell_by_cell() {
        let errors = form()
            .validate(&json!({"shop": "小店", "area": 20, "kind": "零售",
                "staff": [{"name": "张三", "id": "11010519491231002X"}, {"name": "", "id": "123"}]}))
            .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["staff[1].name", "staff[1].id"]);
        assert!(errors[0].message.contains("第2行"), "{errors:?}");
    }

    #[test]
    fn the_default_form_requires_who_where_and_what_for() {
        let f = FormDefinition::default_for(&["自然人".to_string()]);
        f.check().unwrap();
        let errors = f.validate(&json!({})).unwrap_err();
        let missing: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(missing, vec!["contact_name", "contact_phone", "address", "purpose"]);
        let schema = f.json_schema("测试");
        assert_eq!(
            schema["required"],
            json!(["contact_name", "contact_phone", "address", "purpose"])
        );
        assert_eq!(schema["additionalProperties"], json!(false));
    }

    #[test]
    fn the_schema_carries_conditions_as_if_then() {
        let s = form().json_schema("食品经营许可");
        assert_eq!(s["allOf"][0]["then"]["required"], json!(["seats"]));
        assert_eq!(s["properties"]["area"]["minimum"], json!(1.0));
        assert_eq!(s["properties"]["kind"]["enum"], json!(["餐饮", "零售"]));
    }

    #[test]
    fn a_broken_definition_is_refused_with_its_reason() {
        let mut f = form();
        f.fields[3].show_when = Some(Condition {
            field: "later".into(),
            equals: "x".into(),
        });
        assert!(f.check().unwrap_err().0.contains("前面"));
        let mut f = form();
        f.fields[1].name = "shop".into();
        assert!(f.check().unwrap_err().0.contains("重复"));
        let mut f = form();
        f.fields[2].options.clear();
        assert!(f.check().unwrap_err().0.contains("选项"));
    }
}
