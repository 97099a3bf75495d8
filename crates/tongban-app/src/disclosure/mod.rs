//! 政务公开 use cases, shared by the API and the pages: the standard catalog, items of information ("谁发布、谁负责":
//! the author drafts, another person publishes), requests for disclosure (依申请公开) on the working-day calendar, the
//! reply letters and notices, and the annual report (政府信息公开工作年度报告) in the layout of 国办公开办函〔2021〕30号.
//! Functions that depend on the date take `today`/`now`, so tests fix the clock.

mod appeals;
mod catalog;
mod figures;
mod items;
mod letters;
mod report;
mod report_xlsx;
mod request_actions;
mod requests;

pub use appeals::*;
pub use catalog::*;
pub use figures::*;
pub use items::*;
pub use letters::*;
pub use report::*;
pub use report_xlsx::*;
pub use request_actions::*;
pub use requests::*;

use crate::time::parse_day;
use crate::{Error, ErrorKind};
use chrono::NaiveDate;
use tongban_store::StoreError;

/// 政府信息公开条例 art. 33: reply within 20 working days of receipt.
pub const DUE_DAYS: u32 = 20;
/// Art. 33: one extension of at most 20 working days.
pub const MAX_EXTENSION_DAYS: i64 = 20;
/// Art. 30: a correction notice within 7 working days of receipt.
pub const CORRECTION_NOTICE_DAYS: i64 = 7;
/// A request turns yellow this many working days before its deadline: a reply letter needs drafting, the head's
/// signature and posting, which rarely fits in one day.
pub const WARN_DAYS: i64 = 3;
/// Request numbers: GK2026-0001 …
pub const NUMBER_PREFIX: &str = "GK";

/// Applicant columns of the report's table 3, in order: (kind/org_kind code, label).
pub const APPLICANT_COLUMNS: [(&str, &str); 6] = [
    ("person", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("social", "社会公益组织"),
    ("legal", "法律服务机构"),
    ("other", "其他"),
];

pub const DELIVERIES: [(&str, &str); 3] = [("paper", "纸质（邮寄）"), ("email", "电子邮件"), ("pickup", "当面领取")];

/// A reply ground: (kind, ground, the report row it counts in, label, the sentence of the reply letter).
pub struct Ground {
    pub kind: &'static str,
    pub ground: &'static str,
    pub row: &'static str,
    pub label: &'static str,
    pub letter: &'static str,
}

const fn g(
    kind: &'static str,
    ground: &'static str,
    row: &'static str,
    label: &'static str,
    letter: &'static str,
) -> Ground {
    Ground {
        kind,
        ground,
        row,
        label,
        letter,
    }
}

/// The reply kinds of 政府信息公开条例 art. 36–39, each ground tied to its row of the 2021 report table.
pub const GROUNDS: [Ground; 25] = [
    g("disclose", "disclosed", "disclose", "予以公开", "经审查，您申请获取的政府信息属于公开范围，现予以提供。"),
    g("disclose", "already_public", "disclose", "予以公开（已主动公开）", "您申请获取的政府信息已经主动公开，现告知获取的方式和途径。"),
    g("partial", "partial", "partial", "部分公开", "您申请获取的政府信息中含有不应当公开的内容，但能够作区分处理，现提供可以公开的部分，并说明不予公开部分的理由。"),
    g("withhold", "state_secret", "withhold.state_secret", "属于国家秘密", "您申请获取的政府信息属于国家秘密，依据《中华人民共和国政府信息公开条例》第十四条，不予公开。"),
    g("withhold", "law_forbids", "withhold.law_forbids", "其他法律行政法规禁止公开", "您申请获取的政府信息属于法律、行政法规禁止公开的信息，依据《中华人民共和国政府信息公开条例》第十四条，不予公开。"),
    g("withhold", "three_safeties", "withhold.three_safeties", "危及“三安全一稳定”", "您申请获取的政府信息公开后可能危及国家安全、公共安全、经济安全、社会稳定，依据《中华人民共和国政府信息公开条例》第十四条，不予公开。"),
    g("withhold", "third_party", "withhold.third_party", "保护第三方合法权益", "您申请获取的政府信息涉及商业秘密、个人隐私等，公开会对第三方合法权益造成损害，第三方不同意公开，依据《中华人民共和国政府信息公开条例》第十五条，不予公开。"),
    g("withhold", "internal_affairs", "withhold.internal_affairs", "属于三类内部事务信息", "您申请获取的信息属于人事管理、后勤管理、内部工作流程等内部事务信息，依据《中华人民共和国政府信息公开条例》第十六条第一款，可以不予公开。"),
    g("withhold", "process_info", "withhold.process_info", "属于四类过程性信息", "您申请获取的信息属于讨论记录、过程稿、磋商信函、请示报告等过程性信息，依据《中华人民共和国政府信息公开条例》第十六条第二款，可以不予公开。"),
    g("withhold", "enforcement_file", "withhold.enforcement_file", "属于行政执法案卷", "您申请获取的信息属于行政执法案卷信息，依据《中华人民共和国政府信息公开条例》第十六条第二款，可以不予公开。"),
    g("withhold", "query_matter", "withhold.query_matter", "属于行政查询事项", "您申请获取的信息属于有关法律、行政法规规定的行政查询事项，请依照相关规定办理查询。"),
    g("unavailable", "not_exist", "unavailable.not_held", "本机关不掌握相关政府信息（信息不存在）", "经检索，本机关未制作、获取您申请获取的政府信息，该政府信息不存在，依据《中华人民共和国政府信息公开条例》第三十六条第四项告知。"),
    g("unavailable", "not_held", "unavailable.not_held", "本机关不掌握相关政府信息（非本机关负责公开）", "您申请获取的政府信息不属于本机关负责公开，依据《中华人民共和国政府信息公开条例》第三十六条第五项，告知负责公开该政府信息的行政机关。"),
    g("unavailable", "needs_creation", "unavailable.needs_creation", "没有现成信息需要另行制作", "您申请获取的信息需要本机关对现有政府信息进行加工、分析，依据《中华人民共和国政府信息公开条例》第三十八条，可以不予提供。"),
    g("unavailable", "unclear", "unavailable.unclear", "补正后申请内容仍不明确", "经补正，您的申请内容仍不明确，无法确定所需政府信息，本机关无法提供。"),
    g("not_processed", "petition", "not_processed.petition", "信访举报投诉类申请", "您提出的事项属于信访、投诉、举报等诉求，不属于政府信息公开申请，请通过相应渠道提出，依据《中华人民共和国政府信息公开条例》第三十九条不作为政府信息公开申请处理。"),
    g("not_processed", "repeated", "not_processed.repeated", "重复申请", "您的申请与此前已答复的申请内容相同，依据《中华人民共和国政府信息公开条例》第三十六条第六项，不予重复处理。"),
    g("not_processed", "publication", "not_processed.publication", "要求提供公开出版物", "您申请获取的是公开出版物，依据《中华人民共和国政府信息公开条例》第三十九条，可以通过公开途径获取。"),
    g("not_processed", "mass_repeated", "not_processed.mass_repeated", "无正当理由大量反复申请", "您的申请数量、频次明显超过合理范围，依据《中华人民共和国政府信息公开条例》第三十五条，不予处理。"),
    g("not_processed", "confirm", "not_processed.confirm", "要求行政机关确认或重新出具已获取信息", "您要求本机关确认或重新出具已获取的信息，依据《中华人民共和国政府信息公开条例》第三十九条第二款，不作为政府信息公开申请处理。"),
    g("other", "correction_overdue", "other.correction_overdue", "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "您未在补正期限内补正申请，视为放弃申请，本机关不再处理该政府信息公开申请。"),
    g("other", "fee_overdue", "other.fee_overdue", "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "您未在收费通知规定期限内缴纳信息处理费，视为放弃申请，本机关不再处理该政府信息公开申请。"),
    g("other", "other_law", "other.other", "其他（依照其他法律法规办理）", "您申请获取的信息，有关法律、行政法规对获取方式有特别规定，依据《中华人民共和国政府信息公开条例》第三十六条第七项，请依照有关规定办理。"),
    g("other", "withdrawn", "other.other", "其他（申请人撤回申请）", "您已撤回该政府信息公开申请，本机关终止处理。"),
    g("other", "other", "other.other", "其他", "本机关已依法处理您的申请，具体情况见答复内容。"),
];

pub const KIND_LABELS: [(&str, &str); 6] = [
    ("disclose", "予以公开"),
    ("partial", "部分公开"),
    ("withhold", "不予公开"),
    ("unavailable", "无法提供"),
    ("not_processed", "不予处理"),
    ("other", "其他处理"),
];

pub fn ground(kind: &str, ground: &str) -> Option<&'static Ground> {
    GROUNDS.iter().find(|g| g.kind == kind && g.ground == ground)
}

pub fn kind_label(kind: &str) -> &'static str {
    KIND_LABELS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or("未知")
}

pub fn state_label(s: &str) -> &'static str {
    match s {
        "received" => "办理中",
        "correction" => "待补正",
        "consulting" => "征求第三方意见",
        "replied" => "已答复",
        "draft" => "草稿待审核",
        "returned" => "已退回",
        "published" => "已发布",
        "repealed" => "已废止",
        _ => "未知",
    }
}

fn org_label(code: &str) -> &'static str {
    APPLICANT_COLUMNS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("其他")
}

fn delivery_label(code: &str) -> &'static str {
    DELIVERIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("未知")
}

fn bad_date(s: &str) -> Error {
    Error::bad_request("invalid_date", format!("日期“{s}”应为YYYY-MM-DD"))
}

pub fn parse_date(s: &str) -> Result<NaiveDate, Error> {
    parse_day(s.trim()).ok_or_else(|| bad_date(s))
}

fn text_field(value: &str, what: &str, max: usize) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::unprocessable("missing_field", format!("{what}不能为空")));
    }
    if v.chars().count() > max {
        return Err(Error::unprocessable(
            "field_too_long",
            format!("{what}不能超过{max}个字"),
        ));
    }
    Ok(v.to_string())
}

fn invalid_state(what: &str, state: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        "invalid_state",
        format!("当前状态为“{}”，不能{what}", state_label(state)),
    )
}

fn stale(current: i64) -> Error {
    Error::new(
        ErrorKind::Conflict,
        "stale_version",
        format!("申请已被他人更新（当前版本{current}），请刷新后重试"),
    )
    .with_details(serde_json::json!({"current_version": current}))
}

fn store_err(e: StoreError) -> Error {
    match e {
        StoreError::Stale { current } => stale(current),
        other => other.into(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Who may do what. Department staff act for their own department only; disclosure officers and administrators for
// every department of their region.

// ---------------------------------------------------------------------------------------------------------------
// The catalog.

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_store::DisclosureRequest;

    #[test]
    fn every_ground_counts_in_a_row_of_the_official_table() {
        for g in GROUNDS.iter() {
            assert!(
                RESULT_ROWS.iter().any(|(k, _, _)| *k == g.row),
                "{}/{} → {}",
                g.kind,
                g.ground,
                g.row
            );
            assert!(KIND_LABELS.iter().any(|(k, _)| *k == g.kind));
        }
        // 予以公开, 部分公开, 不予公开 ×8, 无法提供 ×3, 不予处理 ×5, 其他处理 ×3, 总计.
        let groups = |prefix: &str| RESULT_ROWS.iter().filter(|(k, _, _)| k.starts_with(prefix)).count();
        assert_eq!(
            (
                groups("withhold."),
                groups("unavailable."),
                groups("not_processed."),
                groups("other.")
            ),
            (8, 3, 5, 3)
        );
    }

    fn req(received: &str, replied: Option<&str>, kind: &str, org: &str) -> DisclosureRequest {
        DisclosureRequest {
            id: 0,
            number: String::new(),
            department_code: "zfb".into(),
            department_name: String::new(),
            applicant_kind: kind.into(),
            org_kind: org.into(),
            applicant_name: String::new(),
            applicant_identifier: String::new(),
            phone: String::new(),
            email: String::new(),
            address: String::new(),
            description: String::new(),
            purpose: String::new(),
            delivery: "email".into(),
            channel: "online".into(),
            state: if replied.is_some() { "replied" } else { "received" }.into(),
            received_on: received.into(),
            clock_start: received.into(),
            extended_days: 0,
            suspended_days: 0,
            suspended_since: None,
            due_date: String::new(),
            due_provisional: false,
            correction_on: None,
            reply_kind: replied.map(|_| "not_processed".into()),
            reply_ground: replied.map(|_| "repeated".into()),
            reply_text: String::new(),
            refer_to: String::new(),
            replied_on: replied.map(String::from),
            replied_by: None,
            filed_by: String::new(),
            version: 1,
            created_at: String::new(),
        }
    }

    #[test]
    fn the_request_table_balances_and_skips_other_years() {
        let rows = vec![
            req("2024-11-01", Some("2025-02-01"), "person", ""),
            req("2025-03-01", None, "organisation", "social"),
            req("2025-04-01", Some("2025-04-02"), "organisation", "unknown-kind"),
            req("2023-01-01", Some("2023-02-01"), "person", ""),
        ];
        let (table, balanced) = request_table(&rows, 2025);
        assert!(balanced);
        let get = |k: &str| {
            table
                .iter()
                .find(|r| r.key == k)
                .map(|r| r.cells.clone())
                .unwrap_or_default()
        };
        assert_eq!(get("new"), vec![0, 0, 0, 1, 0, 1, 2]);
        assert_eq!(get("carried_in"), vec![1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(get("not_processed.repeated"), vec![1, 0, 0, 0, 0, 1, 2]);
        assert_eq!(get("carried_out"), vec![0, 0, 0, 1, 0, 0, 1]);
        assert_eq!(table.len(), 25);
    }

    #[test]
    fn search_words_pair_long_chinese_runs() {
        assert_eq!(search_words("低保"), vec!["低保"]);
        assert_eq!(
            search_words("低保标准公告"),
            vec!["低保", "保标", "标准", "准公", "公告"]
        );
        assert_eq!(search_words("GK-13 救助"), vec!["GK-13", "救助"]);
    }
}
