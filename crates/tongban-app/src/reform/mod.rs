//! Approval-reform use cases shared by the API and the pages: where an item may be accepted (全域通办, 跨省通办,
//! 赋权), 容缺 commitments, 一件事 bundles, ratings and their rectification, e-licences, applicants signing in.

mod bundle_cases;
mod bundles;
mod delegations;
mod enterprises;
mod figures;
mod helpers;
mod licences;
mod oidc;
mod overview;
mod partners;
mod ratings;
mod sign_in;
mod sites;
mod tolerance;

pub use bundle_cases::*;
pub use bundles::*;
pub use delegations::*;
pub use enterprises::*;
pub use figures::*;
pub use helpers::*;
pub use licences::*;
pub use oidc::*;
pub use overview::*;
pub use partners::*;
pub use ratings::*;
pub use sign_in::*;
pub use sites::*;
pub use tolerance::*;

/// The department code of the park's administrative committee, which decides the powers delegated to the park.
pub const PARK_DEPARTMENT: &str = "park";

/// The department code of the town government deciding powers delegated to a town (9-digit code) or to one of its
/// villages (12-digit code: the village committee accepts, the town government decides).
pub fn town_government(code: &str) -> String {
    format!("town-{}", code.get(..9).unwrap_or(code))
}

// ---------------------------------------------------------------------------------------------------------------
// 容缺受理

trait BundleRegion {
    fn region_code(&self) -> String;
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
