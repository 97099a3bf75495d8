//! Approval-reform use cases shared by the API and the pages: where an item may be accepted (全域通办, 跨省通办,
//! 赋权), 容缺 commitments, 一件事 bundles, ratings and their rectification, e-licences, applicants signing in.

use crate::cases::{self, act, ActOptions, Applicant};
use crate::time::today;
use crate::time::ymd;
use crate::App;
use crate::{Error, ErrorKind};
use chrono::{Datelike, NaiveDate};
use ed25519_dalek::SigningKey;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use tongban_core::catalog::{Guide, Level};
use tongban_core::licence::{self, LicenceContent};
use tongban_core::role::Role;
use tongban_store::{
    BundleCase, CaseRecord, Delegation, ItemRecord, NewBundleCase, NewCase, NewCommitment, NewDelegation, NewLicence,
    NewRating, Notification, Session, StoredLicence,
};

// ---------------------------------------------------------------------------------------------------------------
// The deployment key

/// The deployment's Ed25519 signing key, kept in `<data dir>/licence-signing.key` (32 raw bytes) and generated on
/// first start. Losing it makes every issued licence unverifiable, so it is never regenerated over an existing file.
pub fn signing_key(data_dir: &Path) -> std::io::Result<SigningKey> {
    let path = data_dir.join("licence-signing.key");
    match std::fs::read(&path) {
        Ok(bytes) => {
            let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} 不是32字节的Ed25519私钥", path.display()),
                )
            })?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)?;
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            use std::io::Write;
            options.open(&path)?.write_all(&seed)?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) => Err(e),
    }
}

/// The token in a case's rating link: keyed by the deployment secret, so a link cannot be made up for another case.
pub fn rating_token(app: &App, number: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"tongban rating link\0");
    h.update(app.signing_key.to_bytes());
    h.update(number.as_bytes());
    hex::encode(&h.finalize()[..10])
}

// ---------------------------------------------------------------------------------------------------------------
// Where an item may be accepted

/// Whether the site may accept the item on that channel: the district hall takes every item; a town centre or a
/// village station the items of its level, every 全域通办 item, and those delegated to it; a partner county's window
/// the 跨省通办 items agreed with that partner; a park service centre what was delegated to the park.
///
/// A delegated power is also decided where it was delegated (赋权: 放得下、接得住): the answer is then the code of
/// the deciding body — the park's administrative committee, or the town government (for a village, its town's) —
/// instead of the competent district department.
/// How long a site read from the database is used without reading it again (see `App::sites`).
pub const SITE_CACHE_SECONDS: u64 = 60;

/// A service site, from the cache when it was read less than `SITE_CACHE_SECONDS` ago. Unknown codes are not
/// cached, so a site added by an import is found at once.
pub async fn site(app: &App, region: &str, code: &str) -> Result<Option<std::sync::Arc<tongban_store::Site>>, Error> {
    let key = format!("{region}|{code}");
    let fresh = |(at, _): &(std::time::Instant, _)| at.elapsed().as_secs() < SITE_CACHE_SECONDS;
    if let Some((_, site)) = app
        .sites
        .read()
        .ok()
        .and_then(|m| m.get(&key).filter(|e| fresh(e)).cloned())
    {
        return Ok(Some(site));
    }
    let Some(site) = app.store.site(region, code).await? else {
        return Ok(None);
    };
    let site = std::sync::Arc::new(site);
    if let Ok(mut m) = app.sites.write() {
        m.insert(key, (std::time::Instant::now(), site.clone()));
    }
    Ok(Some(site))
}

pub async fn site_acceptance(
    app: &App,
    region: &str,
    channel: &str,
    site_code: &str,
    item: &ItemRecord,
    day: NaiveDate,
) -> Result<Option<String>, Error> {
    if site_code.is_empty() {
        return if channel == "partner" {
            Err(Error::unprocessable(
                "missing_site",
                "合作地区受理须填写受理窗口（site）",
            ))
        } else {
            Ok(None)
        };
    }
    let site = site(app, region, site_code)
        .await?
        .ok_or_else(|| Error::not_found(format!("服务场所“{site_code}”")))?;

    let g = &item.guide;
    let expected = match channel {
        "town" => Some("town_centre"),
        "village" => Some("village_station"),
        "partner" => Some("partner_window"),
        _ => None,
    };
    if let Some(kind) = expected {
        if site.kind != kind {
            return Err(Error::unprocessable(
                "site_channel_mismatch",
                format!("“{}”不是{}的受理场所", site.name, channel_label(channel)),
            ));
        }
    }
    if site.kind == "hall" {
        // The district hall takes every item and decides nothing by delegation: no further look-up on the busiest path.
        return Ok(None);
    }
    let day = ymd(day);
    let delegation = app
        .store
        .delegation_in_force(region, &item.code, &[&site.located_in, &site.code], &day)
        .await?;
    let delegated = delegation.is_some();
    let allowed = match site.kind.as_str() {
        "hall" => true,
        "town_centre" => g.levels.contains(&Level::Town) || g.all_region || delegated,
        "village_station" => g.levels.contains(&Level::Village) || g.all_region || delegated,
        "partner_window" => g.cross_province && app.store.partner_accepts(region, &site.located_in, &item.code).await?,
        "park" => delegated,
        _ => false,
    };
    if allowed {
        Ok(delegation.map(|d| match d.target_kind.as_str() {
            "park" => PARK_DEPARTMENT.to_string(),
            _ => town_government(&d.target_code),
        }))
    } else {
        Err(Error::unprocessable(
            "site_may_not_accept",
            format!(
                "“{}”不能受理“{}”：该事项未列入此处的{}",
                site.name,
                g.name,
                match site.kind.as_str() {
                    "partner_window" => "跨省通办清单",
                    "park" => "赋权清单",
                    _ => "可办事项（下沉、全域通办或赋权）",
                }
            ),
        ))
    }
}

/// The department code of the park's administrative committee, which decides the powers delegated to the park.
pub const PARK_DEPARTMENT: &str = "park";

/// The department code of the town government deciding powers delegated to a town (9-digit code) or to one of its
/// villages (12-digit code: the village committee accepts, the town government decides).
pub fn town_government(code: &str) -> String {
    format!("town-{}", code.get(..9).unwrap_or(code))
}

fn channel_label(channel: &str) -> &'static str {
    match channel {
        "town" => "便民服务中心",
        "village" => "便民服务站",
        "partner" => "跨省通办合作地区",
        _ => "窗口",
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 容缺受理

/// The commitment a tolerance acceptance signs, after checking the item, the missing materials and the applicant.
pub async fn tolerance_commitment(
    app: &App,
    case: &CaseRecord,
    guide: &Guide,
    missing: &[&str],
    today: NaiveDate,
) -> Result<NewCommitment, Error> {
    if !guide.tolerance {
        return Err(Error::unprocessable(
            "tolerance_not_allowed",
            format!("事项“{}”未列入容缺受理清单", guide.name),
        ));
    }
    if missing.is_empty() {
        return Err(Error::unprocessable(
            "nothing_missing",
            "材料已齐全，无需容缺受理，请直接受理",
        ));
    }
    let not_tolerable: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|name| !guide.materials.iter().any(|m| m.name == *name && m.may_be_missing))
        .collect();
    if !not_tolerable.is_empty() {
        return Err(Error::unprocessable(
            "material_not_tolerable",
            format!("以下材料不可容缺，须当场提交：{}", not_tolerable.join("、")),
        ));
    }
    let records = app
        .store
        .open_credit_records(&case.region_code, &case.applicant_identifier)
        .await?;
    if let Some(r) = records.first() {
        return Err(Error::unprocessable(
            "applicant_has_credit_record",
            format!("申请人有未清除的失信记录，不能容缺受理：{}", r.reason),
        )
        .with_details(serde_json::json!({ "credit_records": records })));
    }
    let due = app.calendar().add_working_days(today, app.config.tolerance_days).date;
    Ok(NewCommitment {
        materials: missing.iter().map(|m| m.to_string()).collect(),
        due_date: ymd(due),
    })
}

/// The result of a tolerance case is not issued until the promised materials are in (先审后验).
pub async fn check_supplements_in(app: &App, case: &CaseRecord) -> Result<(), Error> {
    if !case.tolerance {
        return Ok(());
    }
    match app.store.commitment_for_case(case.id).await? {
        Some(c) if c.state != "fulfilled" => Err(Error::unprocessable(
            "supplements_pending",
            format!(
                "容缺材料尚未补齐（{}，承诺{}前补交），暂不能出证",
                c.materials.join("、"),
                c.due_date
            ),
        )),
        _ => Ok(()),
    }
}

/// Takes materials promised at a tolerance acceptance (window clerk), based on the case version the clerk saw.
pub async fn supplement(
    app: &App,
    s: &Session,
    number: &str,
    version: i64,
    materials: &[String],
) -> Result<(CaseRecord, tongban_store::Commitment), Error> {
    if !matches!(s.staff.role, Role::Clerk | Role::Admin) {
        return Err(Error::forbidden(format!("“{}”不能收取补交材料", s.staff.role.label())));
    }
    let case = cases::load(app, s, number).await?;
    if case.version != version {
        return Err(cases::stale(case.version));
    }
    app.store
        .supplement(&case, materials, &s.staff.username, s.staff.role.as_str())
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Invalid(m) => Error::unprocessable("invalid_supplement", m),
            tongban_store::StoreError::Stale { current } => cases::stale(current),
            other => other.into(),
        })
}

/// Marks the commitments past due, writes the credit records and tells the applicants. Run by the background
/// worker daily; returns how many were marked.
pub async fn sweep_commitments(app: &App, region: &str, today: NaiveDate) -> Result<usize, Error> {
    let marked = app
        .store
        .breach_overdue_commitments(region, &ymd(today), |c| Notification {
            channel: "sms".into(),
            recipient: c.applicant_phone.clone(),
            body: format!(
                "【云溪区政务服务】您的办件{}（{}）承诺于{}前补齐“{}”，已逾期，已记入失信记录，补齐前暂不能容缺受理。",
                c.case_number,
                c.item_name,
                c.due_date,
                c.materials.join("、")
            ),
        })
        .await?;
    Ok(marked.len())
}

// ---------------------------------------------------------------------------------------------------------------
// 一件事一次办

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        Some(s) if matches!(s.staff.role, Role::Clerk | Role::Admin) => {
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
            },
            item,
        ));
    }
    let tpl = cases::template(app, region, "default").await?;
    let notice = Notification {
        channel: "sms".into(),
        recipient: f.applicant.phone.clone(),
        body: format!(
            "【云溪区政务服务】您申请的“{}”（{}个事项）已提交，各部门将并联办理，办结后一次送达。",
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

trait BundleRegion {
    fn region_code(&self) -> String;
}

impl BundleRegion for BundleCase {
    /// Bundle numbers start with their region code.
    fn region_code(&self) -> String {
        self.number.split('-').next().unwrap_or_default().to_string()
    }
}

pub async fn load_bundle(app: &App, s: &Session, number: &str) -> Result<(BundleCase, Vec<CaseRecord>), Error> {
    app.store
        .bundle_case(&s.staff.region_code, number)
        .await?
        .ok_or_else(|| Error::not_found(format!("一件事办件“{number}”")))
}

// ---------------------------------------------------------------------------------------------------------------
// 好差评

pub const LEVELS: [&str; 5] = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];

/// Who rates: the applicant signed in on the portal, the applicant by the link in the notice, or the applicant on
/// the tablet at the window (the clerk's session).
pub enum Rater<'a> {
    Applicant(&'a tongban_store::ApplicantSession),
    Link(&'a str),
    Window(&'a Session),
}

pub async fn rate_case(
    app: &App,
    region: &str,
    number: &str,
    level: i64,
    comment: &str,
    rater: Rater<'_>,
) -> Result<(tongban_store::Rating, Option<i64>), Error> {
    if !(1..=5).contains(&level) {
        return Err(Error::unprocessable(
            "invalid_level",
            "评价等级应为1至5（1非常满意、2满意、3基本满意、4不满意、5非常不满意）",
        ));
    }
    if comment.chars().count() > 500 {
        return Err(Error::unprocessable("comment_too_long", "评价内容不能超过500字"));
    }
    let case = app
        .store
        .case_by_number(region, number)
        .await?
        .ok_or_else(|| Error::not_found(format!("办件“{number}”")))?;
    let (channel, who) = match &rater {
        Rater::Applicant(a) => {
            if a.identifier != case.applicant_identifier || a.phone != case.applicant_phone {
                return Err(Error::not_found(format!("办件“{number}”")));
            }
            (
                "portal",
                format!("applicant:{}", tongban_core::ids::mask_middle(&a.identifier, 4, 4)),
            )
        }
        Rater::Link(token) => {
            if !crate::auth::same_secret(&rating_token(app, number), token) {
                return Err(Error::new(ErrorKind::Forbidden, "invalid_rating_link", "评价链接无效"));
            }
            ("sms", "applicant:link".to_string())
        }
        Rater::Window(s) => {
            if s.staff.region_code != case.region_code {
                return Err(Error::not_found(format!("办件“{number}”")));
            }
            ("tablet", format!("tablet:{}", s.staff.username))
        }
    };
    if case.completed_on.is_none() && case.closed_at.is_none() {
        return Err(Error::unprocessable(
            "case_not_finished",
            format!("办件“{number}”尚未办结，办结后才能评价"),
        ));
    }
    let window_code = window_of(app, &case.filed_by).await?;
    let rectify_by = (level >= 4).then(|| {
        ymd(app
            .calendar()
            .add_working_days(today(), app.config.rectification_days)
            .date)
    });
    let r = NewRating {
        case_id: Some(case.id),
        department_id: Some(case.department_id),
        item_code: case.item_code.clone(),
        window_code,
        level,
        comment: comment.trim().to_string(),
        channel: channel.into(),
        rater: who,
    };
    app.store
        .rate(region, &r, rectify_by.as_deref())
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::Conflict, "already_rated", m),
            other => other.into(),
        })
}

/// The window code of the clerk who filed a case (empty for online filings).
async fn window_of(app: &App, username: &str) -> Result<String, Error> {
    if username == "applicant" {
        return Ok(String::new());
    }
    let windows = app.store.windows_of_staff(username).await?;
    Ok(windows.unwrap_or_default())
}

/// 一次一评: a rating of a window visit, given on the tablet at that window.
pub async fn rate_visit(
    app: &App,
    s: &Session,
    level: i64,
    comment: &str,
) -> Result<(tongban_store::Rating, Option<i64>), Error> {
    if !(1..=5).contains(&level) {
        return Err(Error::unprocessable("invalid_level", "评价等级应为1至5"));
    }
    let window = app
        .store
        .windows_of_staff(&s.staff.username)
        .await?
        .ok_or_else(|| Error::forbidden("只有窗口工作人员的评价器可以评价窗口服务"))?;
    let department_id = app.store.window_department(&s.staff.region_code, &window).await?;
    let rectify_by = (level >= 4).then(|| {
        ymd(app
            .calendar()
            .add_working_days(today(), app.config.rectification_days)
            .date)
    });
    let r = NewRating {
        case_id: None,
        department_id,
        item_code: String::new(),
        window_code: window,
        level,
        comment: comment.trim().to_string(),
        channel: "tablet".into(),
        rater: format!("tablet:{}", s.staff.username),
    };
    Ok(app.store.rate(&s.staff.region_code, &r, rectify_by.as_deref()).await?)
}

/// One step of a rectification task, by the role whose step it is.
pub async fn rectification_step(
    app: &App,
    s: &Session,
    id: i64,
    step: &str,
    text: &str,
    verdict: Option<&str>,
    upheld: Option<bool>,
) -> Result<tongban_store::Rectification, Error> {
    let region = s.staff.region_code.clone();
    let task = app
        .store
        .rectification(&region, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("整改任务{id}")))?;
    let own_department = s.staff.department_id.is_some() && s.staff.department_id == task.department_id;
    let text = text.trim();
    let user = s.staff.username.as_str();
    let now = tongban_store::now_text();
    match step {
        "reply" => {
            if !(own_department && matches!(s.staff.role, Role::Reviewer | Role::Head)) {
                return Err(Error::forbidden("只有被评价部门的审查或负责人员可以整改答复"));
            }
            require_text(text, "整改答复")?;
            advance(
                app,
                &region,
                id,
                "open",
                "replied",
                &[("reply", text), ("replied_by", user), ("replied_at", &now)],
                false,
                user,
            )
            .await?;
        }
        "revisit" => {
            if !matches!(s.staff.role, Role::Supervisor | Role::Admin) {
                return Err(Error::forbidden("回访评价人由效能监察人员办理"));
            }
            let verdict = match verdict {
                Some(v @ ("satisfied" | "unsatisfied")) => v,
                _ => {
                    return Err(Error::unprocessable(
                        "invalid_verdict",
                        "回访结果应为satisfied（满意）或unsatisfied（不满意）",
                    ))
                }
            };
            // An unsatisfied rater sends the task back to the department for another round.
            let to = if verdict == "satisfied" { "closed" } else { "open" };
            advance(
                app,
                &region,
                id,
                "replied",
                to,
                &[("verdict", verdict), ("revisit_note", text)],
                false,
                user,
            )
            .await?;
        }
        "appeal" => {
            if !(own_department && s.staff.role == Role::Head) {
                return Err(Error::forbidden("只有被评价部门的负责人可以申诉"));
            }
            require_text(text, "申诉理由")?;
            advance(
                app,
                &region,
                id,
                "open",
                "appealed",
                &[("appeal_reason", text)],
                false,
                user,
            )
            .await?;
        }
        "decide_appeal" => {
            if !matches!(s.staff.role, Role::Supervisor | Role::Admin) {
                return Err(Error::forbidden("申诉由效能监察人员审核"));
            }
            let upheld =
                upheld.ok_or_else(|| Error::unprocessable("missing_decision", "须说明申诉是否成立（upheld）"))?;
            require_text(text, "审核意见")?;
            let decision = format!(
                "{}：{text}",
                if upheld {
                    "申诉成立，该评价不计入"
                } else {
                    "申诉不成立"
                }
            );
            let to = if upheld { "closed" } else { "open" };
            advance(
                app,
                &region,
                id,
                "appealed",
                to,
                &[("appeal_decision", &decision)],
                upheld,
                user,
            )
            .await?;
        }
        other => {
            return Err(Error::unprocessable(
                "unknown_step",
                format!("未知的整改步骤“{other}”（reply、revisit、appeal、decide_appeal）"),
            ))
        }
    }
    app.store
        .rectification(&region, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("整改任务{id}")))
}

fn require_text(text: &str, what: &str) -> Result<(), Error> {
    if text.is_empty() {
        return Err(Error::unprocessable("missing_text", format!("{what}不能为空")));
    }
    if text.chars().count() > 2000 {
        return Err(Error::unprocessable("text_too_long", format!("{what}不能超过2000字")));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn advance(
    app: &App,
    region: &str,
    id: i64,
    from: &str,
    to: &str,
    set: &[(&str, &str)],
    exclude: bool,
    actor: &str,
) -> Result<(), Error> {
    app.store
        .advance_rectification(region, id, from, to, set, exclude, actor)
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::Conflict, "wrong_task_state", m),
            other => other.into(),
        })
}

// ---------------------------------------------------------------------------------------------------------------
// 电子证照

/// The licence approving this case issues, signed; None when its item yields none.
pub async fn licence_for(app: &App, case: &CaseRecord, today: NaiveDate) -> Result<Option<NewLicence>, Error> {
    let Some(item) = cases::guide_version(app, &case.region_code, &case.item_code, case.item_version).await? else {
        return Ok(None);
    };
    let g = &item.guide;
    if g.result_licence.is_empty() {
        return Ok(None);
    }
    let type_code = g
        .implementation_code
        .split('-')
        .next()
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_string)
        .unwrap_or_else(|| case.item_code.chars().filter(|c| c.is_ascii_alphanumeric()).collect());
    let mut issuer_code = app.store.department_credit_code(case.department_id).await?;
    if issuer_code.is_empty() {
        issuer_code = placeholder_credit_code(&case.region_code, case.department_id);
    }
    let licence_id = licence::identifier(&type_code, &issuer_code, case.id.unsigned_abs(), 1);
    let mut fields = BTreeMap::new();
    fields.insert("事项名称".to_string(), case.item_name.clone());
    if let Some(form) = case.form.as_object() {
        for (k, v) in form {
            if let Some(v) = v.as_str() {
                fields.insert(k.clone(), v.to_string());
            }
        }
    }
    // Permits of this kind run five years under most of their laws; items that differ say so in their fields.
    let valid_until = NaiveDate::from_ymd_opt(today.year() + 5, today.month(), today.day())
        .or_else(|| NaiveDate::from_ymd_opt(today.year() + 5, today.month(), 28))
        .and_then(|d| d.pred_opt())
        .map(ymd);
    let content = LicenceContent {
        licence_id,
        number: format!("{}{}{:06}", case.region_code, today.year(), case.id),
        type_name: g.result_licence.clone(),
        type_code,
        holder: case.applicant_name.clone(),
        holder_code: case.applicant_identifier.clone(),
        issuer: case.department_name.clone(),
        issuer_code,
        issued_on: ymd(today),
        valid_until,
        case_number: case.number.clone(),
        fields,
    };
    let signature = content.sign(&app.signing_key);
    Ok(Some(NewLicence { content, signature }))
}

/// A GB 32100-valid code for a department that has none recorded yet (the administrator should record the real
/// one): 11 (government organ) + region + a number from the department id + the check character.
pub fn placeholder_credit_code(region: &str, department_id: i64) -> String {
    let first17 = format!("11{region}MB{:07}", department_id.rem_euclid(10_000_000));
    let check = tongban_core::ids::CreditCode::check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// `valid`, `expired`, `revoked`, `forged` or `unknown`
    pub status: String,
    pub status_label: String,
    pub licence_id: String,
    /// Why, in Chinese.
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licence: Option<LicenceView>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LicenceView {
    pub licence_id: String,
    pub number: String,
    pub type_name: String,
    pub holder: String,
    /// Masked for the public
    pub holder_code: String,
    pub issuer: String,
    pub issuer_code: String,
    pub issued_on: String,
    pub valid_until: Option<String>,
    pub case_number: String,
    pub fields: BTreeMap<String, String>,
    pub signature: String,
    pub revoked_at: Option<String>,
    pub revoke_reason: Option<String>,
}

pub fn licence_view(l: &StoredLicence, whole: bool) -> LicenceView {
    let c = &l.content;
    LicenceView {
        licence_id: c.licence_id.clone(),
        number: c.number.clone(),
        type_name: c.type_name.clone(),
        holder: c.holder.clone(),
        holder_code: if whole || c.holder_code.len() != 18 || !c.holder_code.starts_with(|ch: char| ch.is_ascii_digit())
        {
            c.holder_code.clone()
        } else if c.holder_code.chars().all(|ch| ch.is_ascii_digit() || ch == 'X') {
            cases::masked_identifier("person", &c.holder_code)
        } else {
            c.holder_code.clone()
        },
        issuer: c.issuer.clone(),
        issuer_code: c.issuer_code.clone(),
        issued_on: c.issued_on.clone(),
        valid_until: c.valid_until.clone(),
        case_number: c.case_number.clone(),
        fields: c.fields.clone(),
        signature: l.signature.clone(),
        revoked_at: l.revoked_at.clone(),
        revoke_reason: l.revoke_reason.clone(),
    }
}

/// Checks a licence: it must exist, its stored content must match the signature under the deployment key, a
/// signature presented with it (from a QR code or a copy) must be that same signature; then revocation and expiry.
pub async fn verify_licence(
    app: &App,
    licence_id: &str,
    presented_signature: Option<&str>,
    today: NaiveDate,
) -> Result<Verification, Error> {
    let answer = |status: &str, label: &str, reason: String, licence: Option<LicenceView>| Verification {
        status: status.into(),
        status_label: label.into(),
        licence_id: licence_id.to_string(),
        reason,
        licence,
    };
    let id = licence_id.trim();
    if !licence::identifier_is_well_formed(id) {
        return Ok(answer("unknown", "查无此证", "证照标识格式或校验位不正确".into(), None));
    }
    let Some(l) = app.store.licence(id).await? else {
        return Ok(answer("unknown", "查无此证", "本平台未签发此证照".into(), None));
    };
    let view = licence_view(&l, false);
    if !l.content.verify(&app.signing_key.verifying_key(), &l.signature) {
        return Ok(answer(
            "forged",
            "伪造或被篡改",
            "证照内容与签发时的签名不符".into(),
            Some(view),
        ));
    }
    if let Some(sig) = presented_signature.map(str::trim).filter(|s| !s.is_empty()) {
        if sig != l.signature {
            return Ok(answer(
                "forged",
                "伪造或被篡改",
                "所出示证照的签名与签发记录不符".into(),
                Some(view),
            ));
        }
    }
    if let Some(at) = &l.revoked_at {
        return Ok(answer(
            "revoked",
            "已注销",
            format!(
                "于{}注销：{}",
                &at[..10.min(at.len())],
                l.revoke_reason.clone().unwrap_or_default()
            ),
            Some(view),
        ));
    }
    if let Some(until) = &l.content.valid_until {
        if until.as_str() < ymd(today).as_str() {
            return Ok(answer("expired", "已过期", format!("有效期至{until}"), Some(view)));
        }
    }
    Ok(answer("valid", "有效", "签名有效，证照在有效期内".into(), Some(view)))
}

/// The QR code of a licence's verification address, as an SVG drawing.
pub fn licence_qr_svg(verify_url: &str) -> String {
    match qrcode::QrCode::new(verify_url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(180, 180)
            .build(),
        Err(_) => String::new(),
    }
}

pub fn verify_path(l: &StoredLicence) -> String {
    format!(
        "/licences/verify?id={}&sig={}",
        crate::url::encode(&l.content.licence_id),
        crate::url::encode(&l.signature)
    )
}

// ---------------------------------------------------------------------------------------------------------------
// Applicants signing in

/// Sends a six-digit sign-in code to the phone; the identifier must be a valid ID number or credit code.
pub async fn send_sign_in_code(app: &App, region: &str, identifier: &str, phone: &str) -> Result<(), Error> {
    let (identifier, phone) = parse_identity(identifier, phone)?;
    let code = format!("{:06}", rand::rngs::OsRng.next_u32() % 1_000_000);
    let sms = Notification {
        channel: "sms".into(),
        recipient: phone.clone(),
        body: format!("【云溪区政务服务】您的登录验证码为{code}，10分钟内有效。如非本人操作请忽略。"),
    };
    app.store
        .issue_sign_in_code(region, &identifier, &phone, &code, &sms)
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::TooMany, "too_many_codes", m),
            other => other.into(),
        })
}

pub fn parse_identity(identifier: &str, phone: &str) -> Result<(String, String), Error> {
    let raw = identifier.trim().to_uppercase();
    let identifier = match tongban_core::ids::ResidentId::parse(&raw) {
        Ok(id) => id.as_str().to_string(),
        Err(person_err) => match tongban_core::ids::CreditCode::parse(&raw) {
            Ok(code) => code.as_str().to_string(),
            Err(_) => return Err(person_err.into()),
        },
    };
    let phone = tongban_core::ids::Phone::parse(phone)?.as_str().to_string();
    Ok((identifier, phone))
}

/// Checks the code and opens a session; returns (token, csrf).
pub async fn sign_in(
    app: &App,
    region: &str,
    identifier: &str,
    phone: &str,
    code: &str,
) -> Result<(String, String), Error> {
    let (identifier, phone) = parse_identity(identifier, phone)?;
    let token = random_token();
    let csrf = random_token();
    match app
        .store
        .sign_in_applicant(region, &identifier, &phone, code, &token, &csrf)
        .await?
    {
        tongban_store::SignIn::Ok => Ok((token, csrf)),
        tongban_store::SignIn::WrongCode => Err(Error::unauthorized("验证码不正确")),
        tongban_store::SignIn::NoCode => Err(Error::new(
            ErrorKind::Unauthenticated,
            "code_expired",
            "验证码已失效或错误次数过多，请重新获取",
        )),
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The life-cycle stage of an enterprise's case, read from its item's name.
pub fn life_cycle_stage(item_name: &str) -> &'static str {
    if item_name.contains("注销") {
        "退出"
    } else if item_name.contains("变更") || item_name.contains("延续") || item_name.contains("换证") {
        "变更"
    } else if item_name.contains("设立")
        || item_name.contains("开办")
        || item_name.contains("登记") && !item_name.contains("变更")
    {
        "开办"
    } else if item_name.contains("项目")
        || item_name.contains("备案")
        || item_name.contains("规划")
        || item_name.contains("施工")
    {
        "项目建设"
    } else if item_name.contains("许可") || item_name.contains("证") {
        "准营许可"
    } else {
        "其他"
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DelegationRequest {
    pub item_code: String,
    /// park, town or village
    pub target_kind: String,
    /// The park's site code, or the town's (9-digit) or village's (12-digit) region code
    pub target_code: String,
    /// district or city
    #[serde(default)]
    pub delegated_by: String,
    /// YYYY-MM-DD
    pub from_date: String,
    /// The document that delegates it (e.g. 云政发〔2023〕5号)
    pub document: String,
}

/// Records a delegation after checking the item, the date, the document and the target; shared with the page.
pub async fn grant_delegation(app: &App, s: &Session, req: &DelegationRequest) -> Result<Delegation, Error> {
    crate::policy::require(s, &[Role::Admin], "记录赋权")?;
    let region = &s.staff.region_code;
    let item = app
        .store
        .item(region, &req.item_code, None)
        .await?
        .ok_or_else(|| Error::unprocessable("unknown_item", format!("未知的事项“{}”", req.item_code)))?;
    chrono::NaiveDate::parse_from_str(&req.from_date, "%Y-%m-%d")
        .map_err(|_| Error::unprocessable("invalid_date", "生效日期应为YYYY-MM-DD"))?;
    if req.document.trim().is_empty() {
        return Err(Error::unprocessable("missing_document", "须写明赋权依据的文件"));
    }
    let target_name = match req.target_kind.as_str() {
        "park" => app
            .store
            .sites(region)
            .await?
            .into_iter()
            .find(|x| x.code == req.target_code && x.kind == "park")
            .map(|x| x.name),
        "town" | "village" => {
            let want = if req.target_kind == "town" { 9 } else { 12 };
            match app.store.region(&req.target_code).await? {
                Some(r) if req.target_code.len() == want && req.target_code.starts_with(region.as_str()) => {
                    Some(r.name)
                }
                _ => None,
            }
        }
        other => {
            return Err(Error::unprocessable(
                "invalid_target_kind",
                format!("赋权对象类型“{other}”应为park、town或village"),
            ))
        }
    }
    .ok_or_else(|| {
        Error::unprocessable(
            "unknown_target",
            format!("“{}”不是本区的{}", req.target_code, req.target_kind),
        )
    })?;
    let by = if req.delegated_by.is_empty() {
        "district"
    } else {
        req.delegated_by.as_str()
    };
    if !matches!(by, "district" | "city") {
        return Err(Error::unprocessable(
            "invalid_delegated_by",
            "赋权主体应为district或city",
        ));
    }
    app.store
        .delegate(
            region,
            &NewDelegation {
                item_code: &item.code,
                target_kind: &req.target_kind,
                target_code: &req.target_code,
                target_name: &target_name,
                delegated_by: by,
                from_date: &req.from_date,
                document: req.document.trim(),
            },
            &s.staff.username,
        )
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::Conflict, "already_delegated", m),
            other => other.into(),
        })
}
