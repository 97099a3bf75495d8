//! The domain of tongban, free of I/O: identifiers that can only hold valid values, the region tree's levels,
//! staff roles, the service catalog with its import format and guide-quality rules, and the working-day calendar
//! that deadlines are counted on.

pub mod audit;
pub mod calendar;
pub mod catalog;
pub mod deadline;
pub mod error;
pub mod form;
pub mod ids;
pub mod licence;
pub mod lifecycle;
pub mod region;
pub mod role;
pub mod workflow;

pub use error::DomainError;
