//! The tongban binary's library: configuration, reference and demo data, and the server start-up, kept apart from
//! `main` so that the integration tests start exactly what the binary starts.

pub mod bench;
pub mod config;
pub mod replay;
pub mod seed;

use std::sync::Arc;
use tongban_search::SearchIndex;
use tongban_store::{ImportMode, ImportReport, Store, StoreError};
use tongban_web::{AppState, WebConfig};

pub use tongban_web::services::import_catalog as catalog_import;

/// Connects, migrates, builds the search index of every district that has a catalog, and returns the app state.
pub async fn build_state(database_url: &str, web: WebConfig) -> anyhow::Result<AppState> {
    let store = Store::connect(database_url).await?;
    store.migrate().await?;
    let search = SearchIndex::new()?;
    tongban_web::services::reindex(&store, &search, &web.default_region)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let calendar = load_calendar(&store).await?;
    let signing_key = tongban_web::reform::signing_key(&web.data_dir)?;
    Ok(AppState {
        store,
        search,
        config: Arc::new(web),
        metrics: tongban_web::metrics_handle(),
        calendar: Arc::new(std::sync::RwLock::new(Arc::new(calendar))),
        templates: Default::default(),
        guides: Default::default(),
        sites: Default::default(),
        signing_key: Arc::new(signing_key),
    })
}

/// The shipped official notices, then every notice loaded into the database since.
pub async fn load_calendar(store: &Store) -> anyhow::Result<tongban_core::calendar::Calendar> {
    let mut calendar = tongban_core::calendar::Calendar::official();
    for definition in store.calendar_notices().await? {
        calendar.load_notice(tongban_core::calendar::YearNotice::parse_toml(&definition)?);
    }
    Ok(calendar)
}

/// Imports a catalog or bundles file, told apart by its header.
pub async fn import_file(
    store: &Store,
    search: &SearchIndex,
    region: &str,
    bytes: &[u8],
    mode: ImportMode,
    actor: &str,
) -> Result<ImportReport, StoreError> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_string();
    if head.lines().next().is_some_and(|l| l.contains("item_codes")) {
        store
            .import_bundles(region, tongban_core::catalog::parse_bundles(bytes), mode, actor)
            .await
    } else {
        catalog_import(store, search, region, bytes, mode, actor).await
    }
}

/// Recomputes every case's event chain; the problems found (events changed, removed or reordered).
pub async fn audit_verify(store: &Store) -> Result<(usize, Vec<tongban_core::audit::ChainProblem>), StoreError> {
    let events = store.all_case_events(None).await?;
    let mut problems = Vec::new();
    let mut start = 0;
    for i in 1..=events.len() {
        if i == events.len() || events[i].content.case_number != events[start].content.case_number {
            problems.extend(tongban_core::audit::verify_chain(&events[start..i]));
            start = i;
        }
    }
    Ok((events.len(), problems))
}
