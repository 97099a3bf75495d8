//! The staff overview of the reform services: tolerance figures and open commitments, recent bundle applications,
//! the 全域通办 figures and the rectification tasks.

use super::tolerance::commitment_list;
use super::{recent_bundle_cases, rectifications, reform_figures, BundleStatus, ReformFigures};
use crate::policy::{self, Capability};
use crate::App;
use crate::Error;
use tongban_store::{BundleCase, Commitment, Rectification, Session, ToleranceFigures};

/// What the overview shows.
#[derive(Debug, Clone)]
pub struct ReformOverview {
    pub tolerance: ToleranceFigures,
    /// Open commitments by due date (applicants' identifiers masked).
    pub commitments: Vec<Commitment>,
    /// The latest bundle applications with where each stands.
    pub bundles: Vec<(BundleCase, BundleStatus)>,
    /// This year's figures.
    pub figures: ReformFigures,
    /// Rectification tasks: department staff their department's, everybody else all of the region's.
    pub tasks: Vec<Rectification>,
}

/// The overview of the staff member's region, for those who work on or watch cases; each part only as far as the
/// reader may see it (commitments to those who read them, bundles a department's own, rectification tasks to those
/// who follow them).
pub async fn reform_overview(app: &App, s: &Session) -> Result<ReformOverview, Error> {
    policy::require(&s.staff, Capability::ReadCases)?;
    let region = &s.staff.region_code;
    let bundles = recent_bundle_cases(app, s).await?;
    let open = commitment_list(app, region, Some("open")).await?;
    let (tolerance, commitments) = if policy::allows(&s.staff, Capability::ReadCommitments) {
        (open.figures, open.data)
    } else {
        (open.figures, vec![])
    };
    Ok(ReformOverview {
        tolerance,
        commitments,
        bundles,
        figures: reform_figures(app, region, None, None).await?,
        tasks: if policy::may_follow_rectifications(s) {
            rectifications(app, s).await?
        } else {
            vec![]
        },
    })
}
