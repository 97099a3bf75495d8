use crate::{Store, StoreError};
use serde::Serialize;
use tongban_core::region::Region;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: String,
}

impl Store {
    /// Loads (or refreshes) the region tree in one transaction, in multi-row batches.
    pub async fn upsert_regions(&self, regions: &[Region]) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        for chunk in regions.chunks(400) {
            let mut sql = String::from("INSERT INTO regions (code, name, parent_code, level) VALUES ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                let b = i * 4;
                sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
            }
            sql.push_str(
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, \
                 level = excluded.level",
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.code.as_str().to_string())
                    .bind(r.name.clone())
                    .bind(r.parent.as_ref().map(|p| p.as_str().to_string()))
                    .bind(r.level.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(regions.len())
    }

    pub async fn region(&self, code: &str) -> Result<Option<RegionRow>, StoreError> {
        Ok(
            sqlx::query_as::<_, RegionRow>("SELECT code, name, parent_code, level FROM regions WHERE code = $1")
                .bind(code)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn region_children(&self, code: &str) -> Result<Vec<RegionRow>, StoreError> {
        Ok(sqlx::query_as::<_, RegionRow>(
            "SELECT code, name, parent_code, level FROM regions WHERE parent_code = $1 ORDER BY code",
        )
        .bind(code)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The chain from the province down to `code`, for breadcrumbs.
    pub async fn region_path(&self, code: &str) -> Result<Vec<RegionRow>, StoreError> {
        let mut path = Vec::new();
        let mut next = Some(code.to_string());
        while let Some(c) = next {
            match self.region(&c).await? {
                Some(r) => {
                    next = r.parent_code.clone();
                    path.push(r);
                }
                None => break,
            }
        }
        path.reverse();
        Ok(path)
    }
}
