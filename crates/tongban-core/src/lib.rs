//! The domain of tongban, free of I/O: identifiers that can only hold valid values, the region tree's levels,
//! staff roles, and the service catalog with its import format and guide-quality rules.

pub mod catalog;
pub mod error;
pub mod ids;
pub mod region;
pub mod role;

pub use error::DomainError;
