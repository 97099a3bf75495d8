//! Drafts (草稿): an online application saved to finish later, and submitted once — a draft submitted again answers
//! the case it became.

use super::{current_item, file, online_applicant, own_case, FiledBy, Filing};
use crate::App;
use crate::Error;
use tongban_store::{ApplicantSession, CaseRecord, Delivery, Draft, DraftOwner};

/// The most a draft's form may hold, so that a draft cannot carry a book.
const DRAFT_FORM_BYTES: usize = 64 * 1024;

fn owner(a: &ApplicantSession) -> DraftOwner<'_> {
    DraftOwner {
        region: &a.region_code,
        identifier: &a.identifier,
        phone: &a.phone,
    }
}

/// Saves a new draft (`id` None) or changes one: the form as it stands, unchecked until it is submitted.
pub async fn save_draft(
    app: &App,
    a: &ApplicantSession,
    id: Option<i64>,
    item_code: &str,
    form: serde_json::Value,
    delivery: Delivery,
) -> Result<Draft, Error> {
    if !form.is_object() && !form.is_null() {
        return Err(Error::unprocessable(
            "form_not_object",
            "表单内容应为以字段名为键的对象",
        ));
    }
    if serde_json::to_vec(&form).map(|b| b.len()).unwrap_or(0) > DRAFT_FORM_BYTES {
        return Err(Error::unprocessable("draft_too_large", "草稿内容过多（不超过64KB）"));
    }
    let item = current_item(app, &a.region_code, item_code)
        .await?
        .ok_or_else(|| Error::not_found(format!("事项“{item_code}”")))?;
    let form = if form.is_null() { serde_json::json!({}) } else { form };
    Ok(app
        .store
        .save_draft(&owner(a), id, &item.code, &item.guide.name, &form, &delivery)
        .await?)
}

pub async fn my_drafts(app: &App, a: &ApplicantSession) -> Result<Vec<Draft>, Error> {
    Ok(app.store.drafts(&owner(a)).await?)
}

pub async fn my_draft(app: &App, a: &ApplicantSession, id: i64) -> Result<Draft, Error> {
    app.store
        .draft(&owner(a), id)
        .await?
        .ok_or_else(|| Error::not_found(format!("草稿{id}")))
}

pub async fn delete_draft(app: &App, a: &ApplicantSession, id: i64) -> Result<(), Error> {
    if app.store.delete_draft(&owner(a), id).await? {
        Ok(())
    } else {
        Err(Error::not_found(format!("草稿{id}")))
    }
}

/// Files the draft as an online case (checked as every online filing is); submitted again, it answers the same
/// case (false: not new).
pub async fn submit_draft(app: &App, a: &ApplicantSession, id: i64) -> Result<(CaseRecord, bool), Error> {
    let draft = my_draft(app, a, id).await?;
    if let Some(number) = &draft.case_number {
        return Ok((own_case(app, a, number).await?, false));
    }
    let filing = Filing {
        item_code: draft.item_code.clone(),
        applicant: online_applicant(a, None)?,
        channel: "online".into(),
        site_code: String::new(),
        agent: String::new(),
        form: draft.form.clone(),
        materials: vec![],
        idempotency_key: Some(format!("draft-{}-{id}", a.region_code)),
        request_hash: format!("draft-{id}"),
        delivery: draft.delivery.clone(),
    };
    let (case, created) = file(app, &a.region_code, filing, FiledBy::Applicant(a)).await?;
    app.store.draft_submitted(id, &case.number).await?;
    Ok((case, created))
}
