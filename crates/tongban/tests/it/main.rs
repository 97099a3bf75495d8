#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report
//! One integration-test binary (kanidm's pattern: many test binaries cost build time on 2 cores). Every test runs
//! once on a fresh SQLite file and once on a fresh PostgreSQL database: `use_cases` calls the use cases directly
//! (no HTTP), the others drive the real application over HTTP and in Chromium.

mod access;
mod api;
mod browser;
mod cases;
mod contract;
mod crawl;
mod disclosure;
mod hardening;
mod helpers;
mod hotline;
mod hotline_config;
mod oidc;
mod online;
mod operations;
mod queue;
mod reform;
mod todo;
mod use_cases;
pub(crate) mod web;
