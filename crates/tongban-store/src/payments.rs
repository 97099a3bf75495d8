//! Payment orders (非税收入缴款): created with the acceptance of an item that has a fee, marked paid once by the
//! payment platform's notification, listed per day for reconciliation.

use crate::org::audit;
use crate::{now_text, Store, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Payment {
    /// The 20-digit payment code (非税缴款码) the applicant pays with.
    pub code: String,
    pub case_number: String,
    pub item_name: String,
    pub amount_fen: i64,
    /// `unpaid` or `paid`.
    pub state: String,
    pub created_at: String,
    pub paid_at: Option<String>,
    pub paid_fen: Option<i64>,
    /// The payment platform's id of the notification that paid it: the receipt number.
    pub notice_id: Option<String>,
}

const PAYMENT_SELECT: &str = "SELECT p.code, c.number AS case_number, c.item_name, p.amount_fen, p.state, \
     p.created_at, p.paid_at, p.paid_fen, p.notice_id FROM payments p JOIN cases c ON c.id = p.case_id";

/// What a payment notification did.
#[derive(Debug, Clone)]
pub enum PaidOutcome {
    /// The order is now paid.
    Paid(Payment),
    /// This very notification was taken before: nothing more happens.
    Repeated(Payment),
}

impl Store {
    pub async fn payment_of_case(&self, region: &str, number: &str) -> Result<Option<Payment>, StoreError> {
        Ok(
            sqlx::query_as::<_, Payment>(&format!("{PAYMENT_SELECT} WHERE c.region_code = $1 AND c.number = $2"))
                .bind(region)
                .bind(number)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn payment_by_code(&self, code: &str) -> Result<Option<Payment>, StoreError> {
        Ok(
            sqlx::query_as::<_, Payment>(&format!("{PAYMENT_SELECT} WHERE p.code = $1"))
                .bind(code)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Marks an order paid by a notification, once: the same notification again is `Repeated`; an order paid by
    /// another notification, or a notification already used for another order, is a conflict.
    pub async fn mark_paid(&self, code: &str, notice_id: &str, paid_fen: i64) -> Result<PaidOutcome, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let now = now_text();
        let done = sqlx::query(
            "UPDATE payments SET state = 'paid', paid_at = $1, paid_fen = $2, notice_id = $3 \
             WHERE code = $4 AND state = 'unpaid' AND NOT EXISTS (SELECT 1 FROM payments q WHERE q.notice_id = $3)",
        )
        .bind(&now)
        .bind(paid_fen)
        .bind(notice_id)
        .bind(code)
        .execute(&mut *tx)
        .await?;
        let current = sqlx::query_as::<_, Payment>(&format!("{PAYMENT_SELECT} WHERE p.code = $1"))
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("缴款码“{code}”")))?;
        if done.rows_affected() == 0 {
            return if current.notice_id.as_deref() == Some(notice_id) {
                Ok(PaidOutcome::Repeated(current))
            } else if current.state == "paid" {
                Err(StoreError::Conflict(format!("缴款码“{code}”已缴费，不能重复缴纳")))
            } else {
                Err(StoreError::Conflict(format!("缴费通知“{notice_id}”已用于其他缴款单")))
            };
        }
        let region: String = sqlx::query_scalar("SELECT region_code FROM payments WHERE code = $1")
            .bind(code)
            .fetch_one(&mut *tx)
            .await?;
        audit(
            &mut tx,
            &region,
            "payment-platform",
            "payment.paid",
            &current.case_number,
            &format!("缴款码{code}，{paid_fen}分，通知{notice_id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(PaidOutcome::Paid(current))
    }

    /// The orders created in [from, to) (UTC instants), oldest first: one day's reconciliation list.
    pub async fn payments_between(&self, region: &str, from: &str, to: &str) -> Result<Vec<Payment>, StoreError> {
        Ok(sqlx::query_as::<_, Payment>(&format!(
            "{PAYMENT_SELECT} WHERE p.region_code = $1 AND p.created_at >= $2 AND p.created_at < $3 \
             ORDER BY p.created_at, p.id LIMIT 100000"
        ))
        .bind(region)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }
}
