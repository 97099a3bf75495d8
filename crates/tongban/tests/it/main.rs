#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! One integration-test binary (kanidm's pattern: many test binaries cost build time on 2 cores). Every test runs
//! against the real application over HTTP, once on a fresh SQLite file and once on a fresh PostgreSQL database.

mod api;
mod browser;
mod cases;
mod disclosure;
mod helpers;
mod hotline;
mod hotline_config;
mod queue;
mod reform;
pub(crate) mod web;
