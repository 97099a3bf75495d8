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
    Ok(MyCaseDetail {
        materials: checklist(app, &c).await?,
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
