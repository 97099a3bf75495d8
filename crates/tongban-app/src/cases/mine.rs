//! A case as its applicant follows it online: where it stands, every notice it received (一次性告知, 不予受理,
//! results), the deadline, the form and the materials, how the result comes back, and the fee.

use super::{checklist, delivery_label, own_case, template, ChecklistEntry};
use crate::App;
use crate::Error;
use serde::Serialize;
use tongban_store::{ApplicantSession, Delivery, Payment};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    /// The action (request_correction, refuse, accept, approve, deny, issue, deliver …) and its name
    pub action: String,
    pub label: String,
    /// Beijing time, as people read it
    pub at: String,
    /// What the staff wrote: the items to correct, the reason for refusing
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyCaseDetail {
    pub number: String,
    pub version: i64,
    pub item_code: String,
    pub item_name: String,
    pub department: String,
    pub state: String,
    pub state_label: String,
    pub due_date: Option<String>,
    /// What the applicant may do now (e.g. resubmit after a correction notice)
    pub applicant_actions: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub form: serde_json::Value,
    pub materials: Vec<ChecklistEntry>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub delivery: Delivery,
    pub delivery_label: String,
    pub notices: Vec<Notice>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub payment: Option<Payment>,
    pub licence_id: Option<String>,
    /// For each material still missing: the applicant's e-licences that stand for it and earlier cases that
    /// handed it in (offered while the applicant may still hand in materials)
    pub reusable: Vec<Reusable>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reusable {
    pub material: String,
    pub licences: Vec<ReusableLicence>,
    /// Numbers of the applicant's earlier cases with a file for this material
    pub earlier_cases: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReusableLicence {
    pub licence_id: String,
    pub type_name: String,
    pub number: String,
    pub valid_until: Option<String>,
}

/// The applicant's own case in full (another's does not exist for them).
pub async fn my_case(app: &App, a: &ApplicantSession, number: &str) -> Result<MyCaseDetail, Error> {
    let c = own_case(app, a, number).await?;
    let tpl = template(app, &c.region_code, &c.workflow_code).await?;
    let notices = app
        .store
        .case_events(c.id)
        .await?
        .into_iter()
        .filter(|e| e.action != "file" && e.action != "attach")
        .map(|e| Notice {
            label: tpl
                .action(&e.action)
                .map(|x| x.label.clone())
                .unwrap_or_else(|| match e.action.as_str() {
                    "change_delivery" => "更改送达方式".to_string(),
                    other => other.to_string(),
                }),
            action: e.action,
            at: crate::time::beijing(&e.at),
            text: e.comment,
        })
        .collect();
    let applicant_actions = tpl
        .allowed_actions(&c.position, tongban_core::workflow::Actor::Applicant)
        .iter()
        .map(|x| x.code.clone())
        .collect();
    let payment = app.store.payment_of_case(&c.region_code, &c.number).await?;
    let materials = checklist(app, &c).await?;
    let mut reusable = Vec::new();
    if matches!(c.state.as_str(), "submitted" | "correction_requested") {
        let today = crate::time::today();
        let licences: Vec<_> = app
            .store
            .licences_of_holder(&c.region_code, &c.applicant_identifier)
            .await?
            .into_iter()
            .filter(|l| l.revoked_at.is_none())
            .filter(|l| {
                l.content
                    .valid_until
                    .as_deref()
                    .and_then(crate::time::parse_day)
                    .is_none_or(|d| d >= today)
            })
            .collect();
        let mut earlier = Vec::new();
        for other in crate::reform::cases_of(app, a)
            .await?
            .into_iter()
            .filter(|o| o.id != c.id)
            .take(20)
        {
            let files = app.store.case_files(other.id).await?;
            earlier.push((other.number, files));
        }
        for m in materials.iter().filter(|m| !m.received) {
            let r = Reusable {
                material: m.name.clone(),
                licences: licences
                    .iter()
                    .filter(|l| super::licence_serves(&l.content.type_name, &m.name))
                    .map(|l| ReusableLicence {
                        licence_id: l.content.licence_id.clone(),
                        type_name: l.content.type_name.clone(),
                        number: l.content.number.clone(),
                        valid_until: l.content.valid_until.clone(),
                    })
                    .collect(),
                earlier_cases: earlier
                    .iter()
                    .filter(|(_, files)| files.iter().any(|f| f.material == m.name && !f.sha256.is_empty()))
                    .map(|(n, _)| n.clone())
                    .collect(),
            };
            if !r.licences.is_empty() || !r.earlier_cases.is_empty() {
                reusable.push(r);
            }
        }
    }
    Ok(MyCaseDetail {
        reusable,
        materials,
        state_label: tpl
            .state(&c.state)
            .map(|s| s.label.clone())
            .unwrap_or_else(|| c.state.clone()),
        delivery_label: delivery_label(&c.delivery.method).to_string(),
        number: c.number,
        version: c.version,
        item_code: c.item_code,
        item_name: c.item_name,
        department: c.department_name,
        state: c.state,
        due_date: c.due_date,
        applicant_actions,
        form: c.form,
        delivery: c.delivery,
        notices,
        payment,
        licence_id: c.licence_id,
    })
}
