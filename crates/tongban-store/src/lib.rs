//! Persistence of tongban on SQLite (embedded default) and PostgreSQL (production), chosen at run time by the URL.
//! One code path for both through sqlx's `Any` driver; SQL is written once in the common dialect with `$n`
//! placeholders (SQLite binds `$n` by number too). Each use case runs in one transaction.

mod audit;
mod auth;
mod case_steps;
mod cases;
mod catalog;
mod db;
mod disclosure;
mod drafts;
mod enterprises;
mod error;
mod history;
mod hotline;
mod org;
mod payments;
mod queue;
mod reform;
mod regions;

pub use audit::{CaseHead, Checkpoint};
pub use auth::{hash_password, verify_password, Session, SessionKind};
pub use case_steps::{
    CaseRecord, CaseUpdate, Delivery, Filed, NewCase, NewCommitment, NewEvent, NewLicence, NewPayment, Notification,
    CASE_NUMBER,
};
pub use cases::{CaseEvent, CaseFile, CaseFilter, UrgencyCounts};
pub use catalog::{ImportMode, ImportReport, ItemFilter, ItemHead, ItemRecord, ItemSummary, Page};
pub use db::{Backend, Store};
pub use disclosure::{
    Appeal, CatalogEntry, DisclosureRequest, InfoFilter, InfoItem, NewInfoItem, NewRequestEvent, PublishedCount,
    RequestEvent,
};
pub use drafts::{Draft, DraftOwner};
pub use enterprises::EnterprisePerson;
pub use error::StoreError;
pub use history::{PastCase, PastEvent};
pub use hotline::{HotlineCategory, HotlineFile, HotlineWarning, Open311Key, OrderEvent, OrderFilter, WorkOrder};
pub use org::{AccountChange, Department, NewStaff, Site, Staff, Window};
pub use payments::{PaidOutcome, Payment};
pub use queue::{seconds_between, NewTicket, QueueCategory, Taken, Ticket, WindowOutcome, WindowRef};
pub use reform::{
    ApplicantSession, BundleCase, Commitment, CountRow, CreditRecord, Delegation, HelperPair, NewBundleCase,
    NewDelegation, NewRating, Partner, RateRow, Rating, Rectification, SignIn, SignInIdentity, StoredLicence,
    ToleranceFigures,
};
pub use regions::RegionRow;

/// Current time as stored: UTC, second precision, ISO 8601 (sorts as text on both backends).
pub fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
