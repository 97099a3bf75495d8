//! Who acts for an enterprise online: its legal representative (as registered) and the agents the representative
//! authorises. Removing an agent ends their sessions for the enterprise in the same transaction.

use crate::org::audit;
use crate::{now_text, Store, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EnterprisePerson {
    pub credit_code: String,
    pub enterprise_name: String,
    pub person_identifier: String,
    pub person_name: String,
    /// `representative` or `agent`.
    pub role: String,
    pub added_by: String,
    pub added_at: String,
}

const PEOPLE_SELECT: &str = "SELECT credit_code, enterprise_name, person_identifier, person_name, role, added_by, \
     added_at FROM enterprise_people";

impl Store {
    /// Records an enterprise's legal representative (from its registration), ending the previous one's standing
    /// and every agent they authorised.
    pub async fn register_representative(
        &self,
        region: &str,
        credit_code: &str,
        enterprise_name: &str,
        person_identifier: &str,
        person_name: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let now = now_text();
        sqlx::query(
            "UPDATE enterprise_people SET removed_at = $1, removed_by = $2 WHERE region_code = $3 \
             AND credit_code = $4 AND removed_at IS NULL",
        )
        .bind(&now)
        .bind(actor)
        .bind(region)
        .bind(credit_code)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM applicant_sessions WHERE region_code = $1 AND identifier = $2")
            .bind(region)
            .bind(credit_code)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO enterprise_people (region_code, credit_code, enterprise_name, person_identifier, \
             person_name, role, added_by, added_at) VALUES ($1, $2, $3, $4, $5, 'representative', $6, $7)",
        )
        .bind(region)
        .bind(credit_code)
        .bind(enterprise_name)
        .bind(person_identifier)
        .bind(person_name)
        .bind(actor)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            region,
            actor,
            "enterprise.representative",
            credit_code,
            &format!("法定代表人{person_name}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The standing of a person for an enterprise now: representative or authorised agent, if either.
    pub async fn enterprise_standing(
        &self,
        region: &str,
        credit_code: &str,
        person_identifier: &str,
    ) -> Result<Option<EnterprisePerson>, StoreError> {
        Ok(sqlx::query_as::<_, EnterprisePerson>(&format!(
            "{PEOPLE_SELECT} WHERE region_code = $1 AND credit_code = $2 AND person_identifier = $3 \
             AND removed_at IS NULL ORDER BY id DESC LIMIT 1"
        ))
        .bind(region)
        .bind(credit_code)
        .bind(person_identifier)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// An enterprise's legal representative now, if on record.
    pub async fn enterprise_representative(
        &self,
        region: &str,
        credit_code: &str,
    ) -> Result<Option<EnterprisePerson>, StoreError> {
        Ok(sqlx::query_as::<_, EnterprisePerson>(&format!(
            "{PEOPLE_SELECT} WHERE region_code = $1 AND credit_code = $2 AND role = 'representative' \
             AND removed_at IS NULL ORDER BY id DESC LIMIT 1"
        ))
        .bind(region)
        .bind(credit_code)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The enterprises a person may act for now.
    pub async fn enterprises_of_person(
        &self,
        region: &str,
        person_identifier: &str,
    ) -> Result<Vec<EnterprisePerson>, StoreError> {
        Ok(sqlx::query_as::<_, EnterprisePerson>(&format!(
            "{PEOPLE_SELECT} WHERE region_code = $1 AND person_identifier = $2 AND removed_at IS NULL ORDER BY id"
        ))
        .bind(region)
        .bind(person_identifier)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The authorised agents of an enterprise now.
    pub async fn enterprise_agents(
        &self,
        region: &str,
        credit_code: &str,
    ) -> Result<Vec<EnterprisePerson>, StoreError> {
        Ok(sqlx::query_as::<_, EnterprisePerson>(&format!(
            "{PEOPLE_SELECT} WHERE region_code = $1 AND credit_code = $2 AND role = 'agent' AND removed_at IS NULL \
             ORDER BY id"
        ))
        .bind(region)
        .bind(credit_code)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Authorises an agent (the representative's act); an agent already authorised is a conflict.
    pub async fn add_enterprise_agent(
        &self,
        region: &str,
        enterprise: &EnterprisePerson,
        person_identifier: &str,
        person_name: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let existing: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM enterprise_people WHERE region_code = $1 AND credit_code = $2 \
             AND person_identifier = $3 AND removed_at IS NULL",
        )
        .bind(region)
        .bind(&enterprise.credit_code)
        .bind(person_identifier)
        .fetch_one(&mut *tx)
        .await?;
        if existing > 0 {
            return Err(StoreError::Conflict(format!("{person_name}已获授权代表本企业办事")));
        }
        sqlx::query(
            "INSERT INTO enterprise_people (region_code, credit_code, enterprise_name, person_identifier, \
             person_name, role, added_by, added_at) VALUES ($1, $2, $3, $4, $5, 'agent', $6, $7)",
        )
        .bind(region)
        .bind(&enterprise.credit_code)
        .bind(&enterprise.enterprise_name)
        .bind(person_identifier)
        .bind(person_name)
        .bind(actor)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            region,
            actor,
            "enterprise.agent.add",
            &enterprise.credit_code,
            &format!("授权经办人{person_name}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends an agent's authorisation and every session they hold for the enterprise; false when there was none.
    pub async fn remove_enterprise_agent(
        &self,
        region: &str,
        credit_code: &str,
        person_identifier: &str,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE enterprise_people SET removed_at = $1, removed_by = $2 WHERE region_code = $3 \
             AND credit_code = $4 AND person_identifier = $5 AND role = 'agent' AND removed_at IS NULL",
        )
        .bind(now_text())
        .bind(actor)
        .bind(region)
        .bind(credit_code)
        .bind(person_identifier)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "DELETE FROM applicant_sessions WHERE region_code = $1 AND identifier = $2 AND person_identifier = $3",
        )
        .bind(region)
        .bind(credit_code)
        .bind(person_identifier)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            region,
            actor,
            "enterprise.agent.remove",
            credit_code,
            "撤销经办人授权",
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
