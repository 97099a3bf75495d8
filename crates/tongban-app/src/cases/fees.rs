//! Fees (收费事项): the payment order an accepted case with a fee gets, the payment platform's signed notification
//! that marks it paid, the receipt, and the daily reconciliation list for the finance officer.

use super::own_case;
use crate::policy::{self, Capability};
use crate::time::china;
use crate::App;
use crate::{Error, ErrorKind};
use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tongban_store::{ApplicantSession, CaseRecord, PaidOutcome, Payment, Session, StoreError};

/// The 20-digit payment code (非税缴款码) of a case: region (6), filing day yymmdd (6), the day's sequence (7) and a
/// Luhn check digit, so that a mistyped code is caught before it reaches an order. Unique as the case number is.
pub fn payment_code(region: &str, number: &str) -> String {
    let mut parts = number.split('-');
    let (_, day, seq) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let region: String = region
        .chars()
        .filter(char::is_ascii_digit)
        .chain(std::iter::repeat('0'))
        .take(6)
        .collect();
    let day: String = day.chars().skip(2).filter(char::is_ascii_digit).take(6).collect();
    let seq: u64 = seq.parse().unwrap_or(0);
    let body = format!("{region}{day:0>6}{:07}", seq % 10_000_000);
    format!("{body}{}", luhn_digit(&body))
}

fn luhn_digit(body: &str) -> u32 {
    let sum: u32 = body
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { (d * 2) / 10 + (d * 2) % 10 } else { d })
        .sum();
    (10 - sum % 10) % 10
}

/// Whether a code is 20 digits with a right check digit.
pub fn payment_code_ok(code: &str) -> bool {
    code.len() == 20
        && code.chars().all(|c| c.is_ascii_digit())
        && code[19..].parse::<u32>().ok() == Some(luhn_digit(&code[..19]))
}

/// `issue` waits until the fee is paid (409 `fee_unpaid`).
pub async fn check_paid(app: &App, case: &CaseRecord) -> Result<(), Error> {
    match app.store.payment_of_case(&case.region_code, &case.number).await? {
        Some(p) if p.state != "paid" => Err(Error::conflict(
            "fee_unpaid",
            format!(
                "申请人尚未缴费（缴款码{}，{}），缴费后方可出证",
                p.code,
                tongban_core::catalog::yuan(p.amount_fen)
            ),
        )),
        _ => Ok(()),
    }
}

/// The payment order of a case the reader already holds (None: no fee, or not accepted yet).
pub async fn payment_of_case(app: &App, case: &CaseRecord) -> Result<Option<Payment>, Error> {
    Ok(app.store.payment_of_case(&case.region_code, &case.number).await?)
}

/// The payment order and receipt of a case: for staff who may read the case, or the applicant on their own.
pub async fn payment_for_staff(app: &App, s: &Session, number: &str) -> Result<Payment, Error> {
    let case = super::load(app, s, number).await?;
    payment_of(app, &case).await
}

pub async fn payment_for_applicant(app: &App, a: &ApplicantSession, number: &str) -> Result<Payment, Error> {
    let case = own_case(app, a, number).await?;
    payment_of(app, &case).await
}

async fn payment_of(app: &App, case: &CaseRecord) -> Result<Payment, Error> {
    app.store
        .payment_of_case(&case.region_code, &case.number)
        .await?
        .ok_or_else(|| Error::not_found(format!("办件“{}”的缴款单", case.number)))
}

/// The payment platform's notification that an order was paid.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PaymentNotice {
    /// The 20-digit payment code
    pub payment_code: String,
    /// The amount paid, in fen
    pub amount_fen: i64,
    /// The platform's id of this notification (the receipt number); the same id twice pays once
    pub notice_id: String,
}

/// Checks the notification's signature — HMAC-SHA256 over the raw body with the shared secret, hex in the
/// `X-Signature` header — then marks the order paid once. Unsigned, wrongly signed or no secret configured: 401
/// and nothing changes; an unknown order 404; another amount 422 `amount_mismatch`; the same notification again:
/// the payment as it stands, no second payment.
pub async fn payment_notified(app: &App, body: &[u8], signature: Option<&str>) -> Result<(Payment, bool), Error> {
    let secret = app
        .config
        .payment_secret
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Unauthenticated,
                "payment_not_configured",
                "未配置缴费平台的通知密钥（TONGBAN_PAYMENT_SECRET），不接受缴费通知",
            )
        })?;
    let bad_signature = || {
        Error::new(
            ErrorKind::Unauthenticated,
            "invalid_signature",
            "缴费通知签名无效（X-Signature应为请求体的HMAC-SHA256十六进制值）",
        )
    };
    let given = signature
        .and_then(|s| hex::decode(s.trim()).ok())
        .ok_or_else(bad_signature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(Error::internal)?;
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| bad_signature())?;
    let notice: PaymentNotice = serde_json::from_slice(body)
        .map_err(|e| Error::unprocessable("invalid_notice", format!("缴费通知格式不正确：{e}")))?;
    let code = notice.payment_code.trim();
    if !payment_code_ok(code) {
        return Err(Error::unprocessable(
            "invalid_payment_code",
            format!("缴款码“{code}”不是有效的20位缴款码"),
        ));
    }
    let notice_id = notice.notice_id.trim();
    if notice_id.is_empty() || notice_id.len() > 64 {
        return Err(Error::unprocessable(
            "invalid_notice_id",
            "通知编号（notice_id）不能为空，且不超过64个字符",
        ));
    }
    let order = app
        .store
        .payment_by_code(code)
        .await?
        .ok_or_else(|| Error::not_found(format!("缴款码“{code}”")))?;
    if order.amount_fen != notice.amount_fen {
        return Err(Error::unprocessable(
            "amount_mismatch",
            format!(
                "缴费金额{}与缴款单金额{}不符",
                tongban_core::catalog::yuan(notice.amount_fen),
                tongban_core::catalog::yuan(order.amount_fen)
            ),
        ));
    }
    match app.store.mark_paid(code, notice_id, notice.amount_fen).await {
        Ok(PaidOutcome::Paid(p)) => Ok((p, true)),
        Ok(PaidOutcome::Repeated(p)) => Ok((p, false)),
        Err(StoreError::Conflict(m)) => Err(Error::conflict("already_paid", m)),
        Err(e) => Err(e.into()),
    }
}

/// One day's reconciliation (对账): the orders created that day (Beijing time), paid and unpaid, with totals in fen.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reconciliation {
    pub date: String,
    pub orders: usize,
    pub paid: usize,
    pub unpaid: usize,
    pub amount_fen: i64,
    pub paid_fen: i64,
    pub unpaid_fen: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub payments: Vec<Payment>,
}

pub async fn reconciliation(app: &App, s: &Session, day: NaiveDate) -> Result<Reconciliation, Error> {
    policy::require(&s.staff, Capability::ReconcilePayments)?;
    let start = day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(china()).single())
        .ok_or_else(|| Error::unprocessable("invalid_date", "日期无效"))?
        .with_timezone(&chrono::Utc);
    let end = start + chrono::Duration::days(1);
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let payments = app
        .store
        .payments_between(&s.staff.region_code, &fmt(start), &fmt(end))
        .await?;
    let paid: Vec<&Payment> = payments.iter().filter(|p| p.state == "paid").collect();
    let amount_fen: i64 = payments.iter().map(|p| p.amount_fen).sum();
    let paid_fen: i64 = paid.iter().map(|p| p.paid_fen.unwrap_or(0)).sum();
    Ok(Reconciliation {
        date: crate::time::ymd(day),
        orders: payments.len(),
        paid: paid.len(),
        unpaid: payments.len() - paid.len(),
        amount_fen,
        paid_fen,
        unpaid_fen: payments
            .iter()
            .filter(|p| p.state != "paid")
            .map(|p| p.amount_fen)
            .sum(),
        payments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_codes_are_twenty_digits_with_a_check_digit() {
        let code = payment_code("430603", "430603-20261207-000123");
        assert_eq!(code.len(), 20, "{code}");
        assert!(code.starts_with("430603261207000012"), "{code}");
        assert!(payment_code_ok(&code));
        let mut typo: Vec<char> = code.chars().collect();
        typo[10] = if typo[10] == '9' { '8' } else { '9' };
        assert!(
            !payment_code_ok(&typo.into_iter().collect::<String>()),
            "one wrong digit is caught"
        );
        assert_ne!(code, payment_code("430603", "430603-20261207-000124"));
    }
}
