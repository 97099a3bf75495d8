//! 一件事一次办: a bundle's guide, filing all its parts at once, accepting and delivering them together.

use super::*;
use crate::cases::{self, act, ActOptions, Applicant};
use crate::policy::{self, Capability};
use crate::time::today;
use crate::App;
use crate::{Error, ErrorKind};
use serde::{Deserialize, Serialize};
use tongban_core::catalog::{Bundle, ImportParse, Parsed};
use tongban_store::{
    BundleCase, CaseRecord, ImportMode, ItemRecord, NewBundleCase, NewCase, Notification, Session, Site,
};

/// A bundle as the applicant sees it: its items and the one set of materials, each asked once.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleGuide {
    pub code: String,
    pub name: String,
    pub items: Vec<BundleItem>,
    /// The union of the items' materials; `needed_by` lists the items sharing one.
    pub materials: Vec<SharedMaterial>,
    /// The longest promised limit: the bundle is done when its slowest part is.
    pub promised_limit_days: u32,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = BundleGuideItem))]
pub struct BundleItem {
    pub code: String,
    pub name: String,
    pub department: String,
    pub promised_limit_days: u32,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedMaterial {
    pub name: String,
    pub required: bool,
    pub needed_by: Vec<String>,
}

pub async fn bundle_guide(app: &App, region: &str, code: &str) -> Result<(BundleGuide, Vec<ItemRecord>), Error> {
    let (bundle, _) = app
        .store
        .bundles(region)
        .await?
        .into_iter()
        .find(|(b, _)| b.code == code)
        .ok_or_else(|| Error::not_found(format!("一件事“{code}”")))?;
    let mut items = Vec::new();
    for c in &bundle.item_codes {
        let item = cases::current_item(app, region, c)
            .await?
            .ok_or_else(|| Error::not_found(format!("事项“{c}”")))?;
        items.push(item);
    }
    let mut materials: Vec<SharedMaterial> = Vec::new();
    for item in &items {
        for m in &item.guide.materials {
            match materials.iter_mut().find(|s| s.name == m.name) {
                Some(s) => {
                    s.required |= m.required;
                    s.needed_by.push(item.code.clone());
                }
                None => materials.push(SharedMaterial {
                    name: m.name.clone(),
                    required: m.required,
                    needed_by: vec![item.code.clone()],
                }),
            }
        }
    }
    let guide = BundleGuide {
        code: bundle.code.clone(),
        name: bundle.name.clone(),
        promised_limit_days: items.iter().map(|i| i.guide.promised_limit_days).max().unwrap_or(0),
        items: items
            .iter()
            .map(|i| BundleItem {
                code: i.code.clone(),
                name: i.guide.name.clone(),
                department: i.guide.department.clone(),
                promised_limit_days: i.guide.promised_limit_days,
            })
            .collect(),
        materials,
    };
    Ok((guide, items))
}

pub struct BundleFiling {
    pub bundle_code: String,
    pub applicant: Applicant,
    pub channel: String,
    pub site_code: String,
    pub form: serde_json::Value,
    pub materials: Vec<String>,
    pub delivery: String,
}

/// Files a bundle: every item must be acceptable at the site; each sub-case gets the shared materials its item
/// needs. All sub-cases or none.
pub async fn file_bundle(
    app: &App,
    region: &str,
    f: BundleFiling,
    by: Option<&Session>,
) -> Result<(BundleCase, Vec<CaseRecord>), Error> {
    let (guide, items) = bundle_guide(app, region, &f.bundle_code).await?;
    if !cases::CHANNELS.contains(&f.channel.as_str()) {
        return Err(Error::unprocessable(
            "invalid_channel",
            format!("受理渠道“{}”应为online、window、town、village或partner", f.channel),
        ));
    }
    let (filed_by, role) = match by {
        Some(s) if crate::policy::allows(&s.staff, crate::policy::Capability::FileCases) => {
            (s.staff.username.clone(), s.staff.role.as_str().to_string())
        }
        Some(s) => return Err(Error::forbidden(format!("“{}”不能代为申请", s.staff.role.label()))),
        None if f.channel == "online" => ("applicant".to_string(), "applicant".to_string()),
        None => {
            return Err(Error::unauthorized(
                "窗口和便民服务中心（站）的受理须由工作人员登录后办理",
            ))
        }
    };
    let unknown: Vec<&String> = f
        .materials
        .iter()
        .filter(|m| !guide.materials.iter().any(|s| &s.name == *m))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::unprocessable(
            "unknown_material",
            format!(
                "材料“{}”不属于“{}”",
                unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("、"),
                guide.name
            ),
        ));
    }
    let day = today();
    let mut parts = Vec::new();
    for item in items {
        let decided_by = site_acceptance(app, region, &f.channel, &f.site_code, &item, day).await?;
        let materials: Vec<String> = item
            .guide
            .materials
            .iter()
            .filter(|m| f.materials.contains(&m.name))
            .map(|m| m.name.clone())
            .collect();
        parts.push((
            NewCase {
                region_code: region.to_string(),
                item_code: item.code.clone(),
                applicant_kind: f.applicant.kind.to_string(),
                applicant_name: f.applicant.name.clone(),
                applicant_identifier: f.applicant.identifier.clone(),
                applicant_phone: f.applicant.phone.clone(),
                agent: String::new(),
                channel: f.channel.clone(),
                site_code: f.site_code.clone(),
                filed_by: filed_by.clone(),
                filed_by_role: role.clone(),
                form: f.form.clone(),
                materials,
                idempotency_key: None,
                request_hash: String::new(),
                day,
                at: None,
                decided_by,
                delivery: Default::default(),
            },
            item,
        ));
    }
    let tpl = cases::template(app, region, "default").await?;
    let notice = Notification {
        channel: "sms".into(),
        recipient: f.applicant.phone.clone(),
        body: format!(
            "{}您申请的“{}”（{}个事项）已提交，各部门将并联办理，办结后一次送达。",
            app.config.sms_signature(),
            guide.name,
            parts.len()
        ),
    };
    let filing = NewBundleCase {
        bundle_code: &guide.code,
        bundle_name: &guide.name,
        delivery: &f.delivery,
        parts,
        materials: f.materials,
        form: f.form,
    };
    Ok(app.store.file_bundle(&filing, &tpl, &notice).await?)
}

/// Where a bundle stands, from its sub-cases.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleStatus {
    /// `in_progress`, `done` (every part approved), `partly_done` (some part refused, denied or withdrawn, the rest
    /// done) or `delivered`.
    pub status: String,
    pub status_label: String,
    /// The latest deadline of the sub-cases.
    pub due_date: Option<String>,
    pub parts_done: usize,
    pub parts: usize,
    /// The parts that failed and why (the comment of the refusal or denial).
    pub failed: Vec<FailedPart>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailedPart {
    pub number: String,
    pub item_name: String,
    pub state: String,
    pub reason: String,
}

const FAILED_STATES: [&str; 3] = ["refused", "denied", "withdrawn"];
const DONE_STATES: [&str; 3] = ["issued", "delivered", "closed"];

pub async fn bundle_status(app: &App, b: &BundleCase, parts: &[CaseRecord]) -> Result<BundleStatus, Error> {
    let mut failed = Vec::new();
    for c in parts.iter().filter(|c| FAILED_STATES.contains(&c.state.as_str())) {
        let reason = app
            .store
            .case_events(c.id)
            .await?
            .into_iter()
            .rev()
            .find(|e| e.to_state == c.state)
            .map(|e| e.comment)
            .unwrap_or_default();
        failed.push(FailedPart {
            number: c.number.clone(),
            item_name: c.item_name.clone(),
            state: c.state.clone(),
            reason,
        });
    }
    let finished = parts
        .iter()
        .filter(|c| DONE_STATES.contains(&c.state.as_str()) || FAILED_STATES.contains(&c.state.as_str()))
        .count();
    let all_finished = finished == parts.len();
    let (status, label) = if b.delivered_at.is_some() {
        ("delivered", "已送达")
    } else if !all_finished {
        ("in_progress", "办理中")
    } else if failed.is_empty() {
        ("done", "已办结，待送达")
    } else {
        ("partly_done", "部分办结")
    };
    Ok(BundleStatus {
        status: status.into(),
        status_label: label.into(),
        due_date: parts.iter().filter_map(|c| c.due_date.clone()).max(),
        parts_done: parts.iter().filter(|c| DONE_STATES.contains(&c.state.as_str())).count(),
        parts: parts.len(),
        failed,
    })
}

/// Accepts every submitted sub-case at once. Each part's materials are checked before any is accepted, so a
/// missing material refuses the whole acceptance and nothing is written.
pub async fn accept_bundle(app: &App, s: &Session, number: &str) -> Result<(), Error> {
    let (_, parts) = load_bundle(app, s, number).await?;
    let waiting: Vec<&CaseRecord> = parts.iter().filter(|c| c.state == "submitted").collect();
    if waiting.is_empty() {
        return Err(Error::unprocessable("nothing_to_accept", "该一件事没有待受理的事项"));
    }
    for c in &waiting {
        if let Some(item) = cases::guide_version(app, &c.region_code, &c.item_code, c.item_version).await? {
            let missing: Vec<&str> = item
                .guide
                .materials
                .iter()
                .filter(|m| m.required && !c.materials.contains(&m.name))
                .map(|m| m.name.as_str())
                .collect();
            if !missing.is_empty() {
                return Err(Error::unprocessable(
                    "missing_materials",
                    format!("“{}”缺少必要材料：{}", c.item_name, missing.join("、")),
                ));
            }
        }
    }
    for c in waiting {
        act(
            app,
            s,
            &c.number,
            "accept",
            c.version,
            "一件事一次办，并联受理",
            &ActOptions::default(),
        )
        .await?;
    }
    Ok(())
}

/// Delivers the bundle once: every issued part is delivered and the bundle marked, when no part is still open.
pub async fn deliver_bundle(app: &App, s: &Session, number: &str, how: &str) -> Result<(), Error> {
    let (b, parts) = load_bundle(app, s, number).await?;
    let status = bundle_status(app, &b, &parts).await?;
    match status.status.as_str() {
        "delivered" => return Err(Error::new(ErrorKind::Conflict, "already_delivered", "该一件事已送达")),
        "in_progress" => {
            return Err(Error::unprocessable(
                "bundle_not_finished",
                format!(
                    "还有{}个事项未办结，办结后一次送达",
                    status.parts - status.parts_done - status.failed.len()
                ),
            ))
        }
        _ => {}
    }
    for c in parts.iter().filter(|c| c.state == "issued") {
        act(app, s, &c.number, "deliver", c.version, how, &ActOptions::default()).await?;
    }
    app.store
        .mark_bundle_delivered(&b.region_code(), b.id, &s.staff.username, how)
        .await?;
    Ok(())
}

impl BundleRegion for BundleCase {
    /// Bundle numbers start with their region code.
    fn region_code(&self) -> String {
        self.number.split('-').next().unwrap_or_default().to_string()
    }
}

/// A bundle application as the staff member may read it: as cases are read (`policy::may_read_case`) — department
/// staff see the bundle only when a part is theirs, and only their parts; others of another department's
/// bundle find nothing.
pub async fn load_bundle(app: &App, s: &Session, number: &str) -> Result<(BundleCase, Vec<CaseRecord>), Error> {
    crate::policy::require(&s.staff, crate::policy::Capability::ReadCases)?;
    let not_found = || Error::not_found(format!("一件事办件“{number}”"));
    let (b, parts) = app
        .store
        .bundle_case(&s.staff.region_code, number)
        .await?
        .ok_or_else(not_found)?;
    let readable: Vec<CaseRecord> = parts
        .into_iter()
        .filter(|c| crate::policy::may_read_case(s, c))
        .collect();
    if readable.is_empty() {
        return Err(not_found());
    }
    Ok((b, readable))
}

// ---------------------------------------------------------------------------------------------------------------
// Defining bundles

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleEdit {
    pub name: String,
    pub item_codes: Vec<String>,
}

/// Creates or edits a bundle (administrator; an unknown item refuses the whole edit); returns its guide.
pub async fn save_bundle(app: &App, s: &Session, code: &str, req: &BundleEdit) -> Result<BundleGuide, Error> {
    policy::require(&s.staff, Capability::ConfigureReform)?;
    if req.name.trim().is_empty() || req.item_codes.len() < 2 {
        return Err(Error::unprocessable(
            "invalid_bundle",
            "一件事须有名称，且至少包含两个事项",
        ));
    }
    let parsed = ImportParse {
        rows: vec![Parsed {
            line: 2,
            value: Bundle {
                code: code.to_string(),
                name: req.name.trim().to_string(),
                item_codes: req.item_codes.clone(),
            },
        }],
        errors: vec![],
    };
    app.store
        .import_bundles(
            &s.staff.region_code,
            parsed,
            ImportMode::AllOrNothing,
            &s.staff.username,
        )
        .await?;
    Ok(bundle_guide(app, &s.staff.region_code, code).await?.0)
}

/// The bundles defined in the staff member's region, each with its items' names (in the order of its codes).
pub async fn bundle_list(app: &App, s: &Session) -> Result<Vec<(Bundle, Vec<String>)>, Error> {
    Ok(app.store.bundles(&s.staff.region_code).await?)
}

/// What filing a bundle on an applicant's behalf needs: the bundle's guide and the region's service sites; for
/// those who file cases.
pub async fn bundle_filing_form(app: &App, s: &Session, code: &str) -> Result<(BundleGuide, Vec<Site>), Error> {
    policy::require(&s.staff, Capability::FileCases)?;
    let region = &s.staff.region_code;
    let (g, _) = bundle_guide(app, region, code).await?;
    let sites = app.store.sites(region).await?;
    Ok((g, sites))
}

// ---------------------------------------------------------------------------------------------------------------
// 好差评
