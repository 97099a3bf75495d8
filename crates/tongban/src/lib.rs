//! The tongban binary's library: configuration, reference and demo data, and the server start-up, kept apart from
//! `main` so that the integration tests start exactly what the binary starts.

pub mod backup;
pub mod bench;
pub mod config;
pub mod replay;
pub mod seed;

use tongban_app::{App, Settings};
use tongban_search::SearchIndex;
use tongban_store::{ImportMode, ImportReport, Store, StoreError};

pub use tongban_app::catalog::import_catalog as catalog_import;

/// Connects, migrates and opens the use cases over the database: the search index of the default region built,
/// every calendar notice loaded, the signing key read.
pub async fn build_app(database_url: &str, settings: Settings) -> anyhow::Result<App> {
    let store = Store::connect(database_url).await?;
    store.migrate().await?;
    App::open(store, settings).await.map_err(|e| anyhow::anyhow!(e.message))
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
