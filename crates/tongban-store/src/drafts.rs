//! Applications saved as drafts (草稿) by the applicant, to finish later.

use crate::db::{to_json, JsonText};
use crate::{now_text, Delivery, Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    pub id: i64,
    pub item_code: String,
    pub item_name: String,
    pub form: serde_json::Value,
    pub delivery: Delivery,
    pub created_at: String,
    pub updated_at: String,
    /// The case it was submitted as, once submitted.
    pub case_number: Option<String>,
}

/// By hand: the form and delivery are JSON text.
impl<'r> sqlx::FromRow<'r, AnyRow> for Draft {
    fn from_row(r: &'r AnyRow) -> Result<Draft, sqlx::Error> {
        Ok(Draft {
            id: r.try_get("id")?,
            item_code: r.try_get("item_code")?,
            item_name: r.try_get("item_name")?,
            form: r.try_get::<JsonText<_>, _>("form")?.into_inner(),
            delivery: r.try_get::<JsonText<_>, _>("delivery")?.into_inner(),
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            case_number: r.try_get("case_number")?,
        })
    }
}

/// Whose drafts: the applicant's identity.
pub struct DraftOwner<'a> {
    pub region: &'a str,
    pub identifier: &'a str,
    pub phone: &'a str,
}

impl Store {
    pub async fn save_draft(
        &self,
        owner: &DraftOwner<'_>,
        id: Option<i64>,
        item_code: &str,
        item_name: &str,
        form: &serde_json::Value,
        delivery: &Delivery,
    ) -> Result<Draft, StoreError> {
        let now = now_text();
        let id = match id {
            Some(id) => {
                let done = sqlx::query(
                    "UPDATE application_drafts SET form = $1, delivery = $2, updated_at = $3 WHERE id = $4 \
                     AND region_code = $5 AND identifier = $6 AND phone = $7 AND case_number IS NULL",
                )
                .bind(to_json(form)?)
                .bind(to_json(delivery)?)
                .bind(&now)
                .bind(id)
                .bind(owner.region)
                .bind(owner.identifier)
                .bind(owner.phone)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("草稿{id}")));
                }
                id
            }
            None => sqlx::query_scalar::<_, i64>(
                "INSERT INTO application_drafts (region_code, identifier, phone, item_code, item_name, form, delivery, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(owner.region)
            .bind(owner.identifier)
            .bind(owner.phone)
            .bind(item_code)
            .bind(item_name)
            .bind(to_json(form)?)
            .bind(to_json(delivery)?)
            .bind(&now)
            .fetch_one(&self.pool)
            .await?,
        };
        self.draft(owner, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("草稿{id}")))
    }

    pub async fn draft(&self, owner: &DraftOwner<'_>, id: i64) -> Result<Option<Draft>, StoreError> {
        Ok(sqlx::query_as::<_, Draft>(
            "SELECT * FROM application_drafts WHERE id = $1 AND region_code = $2 AND identifier = $3 AND phone = $4",
        )
        .bind(id)
        .bind(owner.region)
        .bind(owner.identifier)
        .bind(owner.phone)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The drafts not submitted yet, the latest first.
    pub async fn drafts(&self, owner: &DraftOwner<'_>) -> Result<Vec<Draft>, StoreError> {
        Ok(sqlx::query_as::<_, Draft>(
            "SELECT * FROM application_drafts WHERE region_code = $1 AND identifier = $2 AND phone = $3 \
             AND case_number IS NULL ORDER BY updated_at DESC, id DESC LIMIT 100",
        )
        .bind(owner.region)
        .bind(owner.identifier)
        .bind(owner.phone)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records the case a draft was submitted as.
    pub async fn draft_submitted(&self, id: i64, case_number: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE application_drafts SET case_number = $1, updated_at = $2 WHERE id = $3")
            .bind(case_number)
            .bind(now_text())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes a draft not submitted yet; false when there is none.
    pub async fn delete_draft(&self, owner: &DraftOwner<'_>, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM application_drafts WHERE id = $1 AND region_code = $2 AND identifier = $3 AND phone = $4 \
             AND case_number IS NULL",
        )
        .bind(id)
        .bind(owner.region)
        .bind(owner.identifier)
        .bind(owner.phone)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
