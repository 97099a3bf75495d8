//! Administrative reconsiderations and lawsuits against disclosure decisions, and their outcomes.

use super::*;
use crate::time::{parse_day, ymd};
use crate::App;
use crate::Error;
use tongban_store::Session;

pub const APPEAL_KINDS: [(&str, &str); 3] = [
    ("reconsideration", "行政复议"),
    ("litigation", "行政诉讼（未经复议直接起诉）"),
    ("litigation_after", "行政诉讼（复议后起诉）"),
];
pub const APPEAL_RESULTS: [(&str, &str); 3] =
    [("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果")];

fn may_record_appeals(s: &Session) -> Result<(), Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::RecordDisclosureAppeals)
}

pub async fn record_appeal(
    app: &App,
    s: &Session,
    department: &str,
    kind: &str,
    request_number: &str,
    filed_on: &str,
    now: &str,
) -> Result<tongban_store::Appeal, Error> {
    may_record_appeals(s)?;
    if !APPEAL_KINDS.iter().any(|(k, _)| *k == kind) {
        return Err(Error::unprocessable(
            "invalid_appeal_kind",
            "类型应为reconsideration、litigation或litigation_after",
        ));
    }
    let filed = parse_date(filed_on)?;
    Ok(app
        .store
        .record_disclosure_appeal(
            &s.staff.region_code,
            department,
            kind,
            request_number.trim(),
            &ymd(filed),
            &s.staff.username,
            now,
        )
        .await?)
}

pub async fn decide_appeal(
    app: &App,
    s: &Session,
    id: i64,
    result: &str,
    decided_on: &str,
) -> Result<tongban_store::Appeal, Error> {
    may_record_appeals(s)?;
    if !APPEAL_RESULTS.iter().any(|(k, _)| *k == result) {
        return Err(Error::unprocessable(
            "invalid_appeal_result",
            "结果应为upheld（维持）、corrected（纠正）或other（其他结果）",
        ));
    }
    let decided = parse_date(decided_on)?;
    let a = app
        .store
        .disclosure_appeal(&s.staff.region_code, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("复议诉讼记录{id}")))?;
    if parse_day(&a.filed_on).is_some_and(|f| decided < f) {
        return Err(Error::unprocessable("invalid_date", "审结日期不能早于立案日期"));
    }
    Ok(app
        .store
        .decide_disclosure_appeal(&s.staff.region_code, id, result, &ymd(decided), &s.staff.username)
        .await?)
}

// ---------------------------------------------------------------------------------------------------------------
// The annual report.

/// The region's appeals, for those who read the disclosure reports.
pub async fn appeals(app: &App, s: &Session) -> Result<Vec<tongban_store::Appeal>, Error> {
    if !crate::policy::may_read_disclosure_reports(s, None) {
        return Err(Error::forbidden("无权查看行政复议、行政诉讼情况"));
    }
    Ok(app.store.disclosure_appeals(&s.staff.region_code).await?)
}
