//! Staff accounts as administrators manage them.

use crate::policy::{self, Capability};
use crate::{App, Error};
use tongban_store::{NewStaff, Session, Staff};

/// The region's staff (administrators).
pub async fn list(app: &App, s: &Session) -> Result<Vec<Staff>, Error> {
    policy::require(&s.staff, Capability::ManageStaff)?;
    Ok(app.store.staff_in_region(&s.staff.region_code).await?)
}

/// Adds an account (administrators); audited by the store.
pub async fn add(app: &App, s: &Session, new: &NewStaff<'_>) -> Result<Staff, Error> {
    policy::require(&s.staff, Capability::ManageStaff)?;
    Ok(app.store.add_staff(new, &s.staff.username).await?)
}
