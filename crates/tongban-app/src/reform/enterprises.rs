//! The enterprise life cycle (企业全生命周期服务): every case of an enterprise across departments, its helpers and
//! its licences.

use super::{licence_view, life_cycle_stage, LicenceView};
use crate::policy::{self, Capability};
use crate::App;
use crate::Error;
use serde::Serialize;
use tongban_store::{HelperPair, Session};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseView {
    pub credit_code: String,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub helpers: Vec<HelperPair>,
    /// Every case across departments, oldest first, with its life-cycle stage
    pub cases: Vec<EnterpriseCase>,
    pub licences: Vec<LicenceView>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseCase {
    pub number: String,
    /// 开办, 项目建设, 准营许可, 变更, 退出 or 其他
    pub stage: String,
    pub item_name: String,
    pub department: String,
    pub state: String,
    pub agent: String,
    pub created_at: String,
}

/// An enterprise's whole life cycle by its credit code, for those who read the enterprise pages; an enterprise with
/// neither cases nor helpers in the region is not found.
pub async fn enterprise(app: &App, s: &Session, code: &str) -> Result<EnterpriseView, Error> {
    policy::require(&s.staff, Capability::ReadEnterprises)?;
    let code = tongban_core::ids::CreditCode::parse(code)?;
    let region = &s.staff.region_code;
    let cases = app.store.cases_of_applicant(region, code.as_str()).await?;
    let helpers: Vec<HelperPair> = app
        .store
        .helper_pairs(region, None)
        .await?
        .into_iter()
        .filter(|p| p.credit_code == code.as_str())
        .collect();
    let name = cases
        .last()
        .map(|c| c.applicant_name.clone())
        .or_else(|| helpers.first().map(|p| p.enterprise_name.clone()))
        .ok_or_else(|| Error::not_found(format!("企业“{}”的办件", code.as_str())))?;
    let licences = app
        .store
        .licences_of_holder(region, code.as_str())
        .await?
        .iter()
        .map(|l| licence_view(l, true))
        .collect();
    Ok(EnterpriseView {
        credit_code: code.as_str().to_string(),
        name,
        helpers,
        licences,
        cases: cases
            .into_iter()
            .map(|c| EnterpriseCase {
                stage: life_cycle_stage(&c.item_name).to_string(),
                number: c.number,
                item_name: c.item_name,
                department: c.department_name,
                state: c.state,
                agent: c.agent,
                created_at: c.created_at,
            })
            .collect(),
    })
}
