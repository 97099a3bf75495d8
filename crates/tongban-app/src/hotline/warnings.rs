//! 未诉即办 warnings acknowledged by the departments they concern.

use crate::App;
use crate::{Error, ErrorKind};
use tongban_store::{HotlineWarning, Session, StoreError};

/// Acknowledges a 未诉即办 warning with what will be done (required, 422 `note_required`): unknown or another
/// district's warning 404, not the caller's to take 403, already acknowledged 409 `already_acknowledged`.
pub async fn acknowledge_warning(app: &App, s: &Session, id: i64, note: &str) -> Result<HotlineWarning, Error> {
    let region = &s.staff.region_code;
    let w = app
        .store
        .hotline_warning(region, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("预警{id}")))?;
    if !crate::policy::may_acknowledge_warning(s, &w) {
        return Err(Error::forbidden(
            "只有预警所指向的部门或12345热线话务员、督办领导可以认领预警",
        ));
    }
    let already = |by: &str| {
        Error::new(
            ErrorKind::Conflict,
            "already_acknowledged",
            format!("预警{id}已由{by}认领"),
        )
    };
    if let Some(by) = &w.acknowledged_by {
        return Err(already(by));
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(Error::unprocessable("note_required", "请填写拟采取的处置措施"));
    }
    if note.chars().count() > 1000 {
        return Err(Error::unprocessable("too_long", "处置措施不超过1000字"));
    }
    match app
        .store
        .acknowledge_hotline_warning(region, id, &s.staff.username, note)
        .await
    {
        Ok(w) => Ok(w),
        Err(StoreError::Conflict(_)) => {
            let by = app
                .store
                .hotline_warning(region, id)
                .await?
                .and_then(|w| w.acknowledged_by)
                .unwrap_or_default();
            Err(already(&by))
        }
        Err(e) => Err(e.into()),
    }
}
