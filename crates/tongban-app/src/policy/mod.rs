//! The one access policy: who may read and act on what (roles × departments × records), and which personal fields
//! each reader sees in full. Every use case asks here, and so do the pages when they decide what to offer; the API,
//! the pages and the exports mask personal data through `mask` after asking `reveals_*` here, nowhere else.

pub mod mask;

use crate::Error;
use tongban_core::role::Role;
use tongban_store::{CaseRecord, HotlineWarning, Session, Staff, WorkOrder};

/// What a staff member may do that does not depend on one record: the role alone decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Open the case inbox: the staff who work on cases, and supervisors who watch them.
    ReadCases,
    /// Upload a case's materials: the staff who work on cases.
    AttachMaterials,
    /// File cases on an applicant's behalf (at a window, a town centre, a village station or a partner site).
    FileCases,
    /// Publish new guide versions and import the catalog.
    EditCatalog,
    /// Read the guide-quality report (dynamic monitoring of guides).
    CheckGuides,
    /// Add and change staff accounts.
    ManageStaff,
    /// Save workflow templates and import holiday notices.
    ConfigureWorkflows,
    /// Set queue categories, their windows and hours.
    ConfigureQueue,
    /// Read the supervision figures (effectiveness monitoring).
    ReadSupervision,
    /// Take 12345 calls and letters, dispatch, revisit and close orders.
    TakeHotlineCalls,
    /// Edit the hotline's category tree and issue Open311 keys.
    ConfigureHotline,
    /// Read the hotline bulletins and figures.
    ReadHotlineBulletins,
    /// Follow the rectification of bad ratings across departments.
    FollowRectifications,
    /// Revoke an e-licence (a head only for their own department's, checked on the licence).
    RevokeLicences,
    /// Read 容缺 commitments and open credit records.
    ReadCommitments,
    /// Clear a credit record once the applicant has made good.
    ClearCreditRecords,
    /// Define bundles (一件事), partner regions, delegations and helper pairs.
    ConfigureReform,
    /// Accept and deliver bundle cases.
    HandleBundles,
    /// Read the enterprise life-cycle pages.
    ReadEnterprises,
    /// Edit the disclosure catalog.
    EditDisclosureCatalog,
    /// Record and decide appeals against disclosure decisions.
    RecordDisclosureAppeals,
    /// Record requests that came by letter, fax or in person.
    RecordDisclosureRequests,
    /// Use the disclosure workbench (published information, requests).
    UseDisclosureWorkbench,
    /// Read every department's published information and requests, drafts included.
    ReadAllDisclosure,
    /// Read the queue's figures.
    ReadQueueFigures,
    /// Call tickets at a window of the hall.
    CallAtWindow,
    /// Work on 12345 orders: the hotline's staff, its leaders and the departments handling orders.
    UseHotline,
    /// Repeal published information and extend requests' deadlines across departments.
    ApproveDisclosure,
    /// Read the daily reconciliation of fees (对账): the finance side of the centre, which the supervisor and the
    /// administrator stand for until a finance role exists.
    ReconcilePayments,
    /// Read the helper pairs (帮代办): clerks their own, supervisors and administrators all.
    ReadHelperPairs,
    /// Read the service's run-time metrics (/metrics) with a session; Prometheus uses the configured token.
    ReadMetrics,
}

impl Capability {
    /// The roles that hold the capability.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Capability::FileCases => &[Clerk, Admin],
            Capability::ReadCases => &[Clerk, Reviewer, Head, Admin, Supervisor],
            Capability::AttachMaterials => &[Clerk, Reviewer, Head, Admin],
            Capability::EditCatalog
            | Capability::ManageStaff
            | Capability::ConfigureWorkflows
            | Capability::ConfigureQueue
            | Capability::ConfigureHotline
            | Capability::ClearCreditRecords
            | Capability::ConfigureReform => &[Admin],
            Capability::CheckGuides | Capability::ReadSupervision => &[Admin, Supervisor, Head, Reviewer],
            Capability::TakeHotlineCalls => &[Operator],
            Capability::ReadHotlineBulletins => &[Supervisor, Admin, Operator, Reviewer, Head],
            Capability::FollowRectifications => &[Supervisor, Admin, Clerk],
            Capability::RevokeLicences => &[Head, Admin],
            Capability::ReadCommitments | Capability::ReadHelperPairs => &[Clerk, Supervisor, Admin],
            Capability::HandleBundles => &[Clerk, Admin],
            Capability::ReadEnterprises => &[Clerk, Supervisor, Admin, Policy],
            Capability::EditDisclosureCatalog => &[Admin],
            Capability::RecordDisclosureAppeals | Capability::RecordDisclosureRequests => &[Discloser, Admin],
            Capability::ReadAllDisclosure => &[Discloser, Admin, Supervisor],
            Capability::ReadQueueFigures | Capability::ReconcilePayments | Capability::ReadMetrics => {
                &[Supervisor, Admin]
            }
            Capability::CallAtWindow => &[Clerk],
            Capability::UseHotline => &[Operator, Supervisor, Reviewer, Head],
            Capability::UseDisclosureWorkbench => &[Discloser, Admin, Head, Reviewer, Supervisor],
            Capability::ApproveDisclosure => &[Discloser, Admin, Head],
        }
    }

    /// What the capability lets one do, for the refusal: "“部门审查人员”不能{what}".
    pub fn what(self) -> &'static str {
        match self {
            Capability::FileCases => "受理办件",
            Capability::ReadCases => "办理办件",
            Capability::AttachMaterials => "上传办件材料",
            Capability::EditCatalog => "编辑事项目录",
            Capability::CheckGuides => "查看办事指南质量报告",
            Capability::ManageStaff => "管理工作人员账号",
            Capability::ConfigureWorkflows => "设置办理流程和节假日安排",
            Capability::ConfigureQueue => "设置取号类别",
            Capability::ReadSupervision => "查看效能监察数据",
            Capability::TakeHotlineCalls => "登记和派发12345工单",
            Capability::ConfigureHotline => "设置热线分类和Open311接口密钥",
            Capability::ReadHotlineBulletins => "查看热线通报",
            Capability::FollowRectifications => "查看差评整改",
            Capability::RevokeLicences => "注销证照",
            Capability::ReadCommitments => "查看容缺承诺和失信记录",
            Capability::ClearCreditRecords => "清除失信记录",
            Capability::ConfigureReform => "设置一件事、跨省通办、赋权和帮代办",
            Capability::HandleBundles => "办理一件事的受理和送达",
            Capability::ReadEnterprises => "查看企业全生命周期服务",
            Capability::EditDisclosureCatalog => "编辑政府信息公开目录",
            Capability::RecordDisclosureAppeals => "登记行政复议和诉讼",
            Capability::RecordDisclosureRequests => "登记政府信息公开申请",
            Capability::UseDisclosureWorkbench => "使用政务公开工作台",
            Capability::ApproveDisclosure => "审核政务公开事项",
            Capability::ReadAllDisclosure => "查看各部门的政务公开事项",
            Capability::ReadQueueFigures => "查看取号叫号统计",
            Capability::CallAtWindow => "在窗口叫号",
            Capability::UseHotline => "办理12345工单",
            Capability::ReconcilePayments => "查看缴费对账",
            Capability::ReadMetrics => "读取运行指标",
            Capability::ReadHelperPairs => "查看帮代办结对",
        }
    }
}

/// Whether the staff member holds the capability (pages ask this before offering a link or a button).
pub fn allows(staff: &Staff, c: Capability) -> bool {
    c.roles().contains(&staff.role)
}

/// Refuses (403, naming the role and what was refused) unless the staff member holds the capability.
pub fn require(staff: &Staff, c: Capability) -> Result<(), Error> {
    if allows(staff, c) {
        Ok(())
    } else {
        Err(Error::forbidden(format!("“{}”不能{}", staff.role.label(), c.what())))
    }
}

/// Department staff see their own department's records only; everybody else works across the region.
pub fn own_department_only(s: &Session) -> bool {
    s.staff.role.is_department_bound()
}

fn in_own_department(s: &Session, department_code: &str) -> bool {
    s.staff.department_code.as_deref() == Some(department_code)
}

// ---------------------------------------------------------------------------------------------------------------
// Cases.

/// Whether the staff member may read (and so act on) a case: a role that works on or watches cases, the same region,
/// and department staff only their department's. Hotline, disclosure and policy officers read none.
pub fn may_read_case(s: &Session, c: &CaseRecord) -> bool {
    allows(&s.staff, Capability::ReadCases)
        && s.staff.region_code == c.region_code
        && (!own_department_only(s) || s.staff.department_id == Some(c.department_id))
}

/// Where personal data is shown: one record opened by its reader, or a list (and an export) of many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Record,
    List,
}

/// Whether the reader sees the applicant's ID number and phone whole: on one case, the staff who handle it (those
/// who may read it, supervisors excepted: they audit, they do not contact applicants); in lists and exports, nobody.
pub fn reveals_case_applicant(reader: Option<&Session>, c: &CaseRecord, shown: Shown) -> bool {
    shown == Shown::Record && reader.is_some_and(|s| may_read_case(s, c) && s.staff.role != Role::Supervisor)
}

/// Whether the staff member's session stands for the rating tablet (评价器) of a window on this case: only a
/// clerk at a window, only for a case filed at that window's site and not online, so that no other staff member
/// — least of all the department that handled it — can rate a case in the applicant's place.
pub fn may_rate_at_window(s: &Session, c: &CaseRecord) -> bool {
    s.staff.role == Role::Clerk
        && s.staff.region_code == c.region_code
        && c.channel != "online"
        && s.staff.site_code.as_deref() == Some(c.site_code.as_str())
}

/// Who sees the rectification of bad ratings: department staff their department's tasks, and those who follow
/// rectification across departments.
pub fn may_follow_rectifications(s: &Session) -> bool {
    own_department_only(s) || allows(&s.staff, Capability::FollowRectifications)
}

/// Who takes a step in the rectification of a bad rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RectificationParty {
    /// The rated department's reviewers and head: they rectify and reply.
    Department,
    /// The rated department's head: only they appeal.
    DepartmentHead,
    /// Supervisors and administrators: they revisit the rater and decide appeals.
    Supervision,
}

/// Whether the staff member acts as `party` on a rectification task of `department_id`.
pub fn acts_on_rectification_as(party: RectificationParty, s: &Session, department_id: Option<i64>) -> bool {
    let own = s.staff.department_id.is_some() && s.staff.department_id == department_id;
    match party {
        RectificationParty::Department => own && matches!(s.staff.role, Role::Reviewer | Role::Head),
        RectificationParty::DepartmentHead => own && s.staff.role == Role::Head,
        RectificationParty::Supervision => matches!(s.staff.role, Role::Supervisor | Role::Admin),
    }
}

/// A clerk sees only the helper pairs (帮代办) they are part of; administrators and supervisors all of them.
pub fn sees_own_helper_pairs_only(s: &Session) -> bool {
    s.staff.role == Role::Clerk
}

// ---------------------------------------------------------------------------------------------------------------
// 12345 work orders.

/// Who an action on a work order is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderActor {
    /// The hotline's operators: dispatch, returns, extensions, revisits, closing.
    Dispatcher,
    /// The department leading the order: sign, return, ask for more time, reply.
    LeadDepartment,
    /// The supervisors reviewing a dissatisfied caller's order.
    Leader,
}

/// Whether the staff member acts as `who` on the order.
pub fn acts_on_order_as(who: OrderActor, s: &Session, o: &WorkOrder) -> bool {
    match who {
        OrderActor::Dispatcher => s.staff.role == Role::Operator,
        OrderActor::LeadDepartment => own_department_only(s) && in_own_department(s, &o.lead_department),
        OrderActor::Leader => s.staff.role == Role::Supervisor,
    }
}

/// Whether the caller may read the order at all: hotline staff and leaders all of them, a department those it
/// leads or co-handles.
pub fn may_read_order(s: &Session, o: &WorkOrder) -> bool {
    match s.staff.role {
        Role::Operator | Role::Supervisor | Role::Admin => true,
        r if r.is_department_bound() => {
            let d = s.staff.department_code.as_deref().unwrap_or("");
            o.lead_department == d || o.co_departments.split(',').any(|c| c == d)
        }
        _ => false,
    }
}

/// Whether the reader sees the caller's name and phone whole: those who talk to the caller (operators) and the
/// lead department handling the order.
pub fn reveals_order_contact(s: &Session, o: &WorkOrder) -> bool {
    s.staff.role == Role::Operator || acts_on_order_as(OrderActor::LeadDepartment, s, o)
}

/// Who may add files to an order: the operators, and the departments handling it (lead or co-handling).
pub fn may_attach_to_order(s: &Session, o: &WorkOrder) -> bool {
    s.staff.role == Role::Operator || (own_department_only(s) && may_read_order(s, o))
}

/// Which work lists the staff member may open.
pub fn may_see_order_list(s: &Session, list: &str) -> bool {
    match list {
        "dispatch" | "extensions" | "revisit" | "review" => {
            matches!(s.staff.role, Role::Operator | Role::Admin | Role::Supervisor)
        }
        "inbox" => own_department_only(s),
        _ => false,
    }
}

/// Who may acknowledge a 未诉即办 warning: operators, supervisors, and the department it concerns.
pub fn may_acknowledge_warning(s: &Session, w: &HotlineWarning) -> bool {
    matches!(s.staff.role, Role::Operator | Role::Supervisor)
        || (own_department_only(s) && in_own_department(s, &w.department_code))
}

// ---------------------------------------------------------------------------------------------------------------
// Government information disclosure.

/// Drafting published information and handling requests: disclosure officers, administrators, and department
/// staff for their own department.
pub fn may_author_disclosure(s: &Session, department: &str) -> bool {
    match s.staff.role {
        Role::Discloser | Role::Admin => true,
        Role::Reviewer | Role::Head => in_own_department(s, department),
        _ => false,
    }
}

/// Reading a request: those who may handle it, and supervisors.
pub fn may_read_disclosure_request(s: &Session, department: &str) -> bool {
    may_author_disclosure(s, department) || s.staff.role == Role::Supervisor
}

/// Publishing (审核发布): disclosure officers, administrators and the department's head — never the author.
pub fn may_approve_disclosure(s: &Session, department: &str) -> bool {
    match s.staff.role {
        Role::Discloser | Role::Admin => true,
        Role::Head => in_own_department(s, department),
        _ => false,
    }
}

/// Reading the disclosure figures and annual reports: as authoring, plus supervisors; department staff only their
/// department's.
pub fn may_read_disclosure_reports(s: &Session, department: Option<&str>) -> bool {
    match s.staff.role {
        Role::Discloser | Role::Admin | Role::Supervisor => true,
        Role::Reviewer | Role::Head => department.is_some_and(|d| in_own_department(s, d)),
        _ => false,
    }
}
