//! The hall queue (取号叫号): categories, tickets numbered per day and prefix, and the window actions. Every
//! change is one transaction with its audit entry. "Now" is always passed in (UTC text), so that the use cases —
//! and their tests — decide what time it is.
//!
//! Concurrency: a ticket is claimed by a conditional UPDATE (`… WHERE id = $ AND state = 'waiting'`), so two
//! windows calling at once never get the same ticket (on PostgreSQL the loser's UPDATE matches no row and it
//! tries the next candidate; on SQLite writers take turns anyway). Slots are booked by a conditional upsert of
//! their counter, which refuses the booking past capacity in one statement.

use crate::db::{int, text, Flag, TrimmedCommaList};
use crate::org::audit;
use crate::{Store, StoreError};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QueueCategory {
    pub code: String,
    pub name: String,
    /// One capital letter that starts its ticket numbers.
    pub prefix: String,
    /// Codes of the windows that call it.
    pub windows: Vec<String>,
    pub open: bool,
    pub slot_minutes: i64,
    /// Appointments per slot; 0: the category takes no appointments.
    pub slot_capacity: i64,
    /// Local opening periods, e.g. "09:00-12:00,13:30-17:00".
    pub hours: String,
    pub position: i64,
}

/// By hand, for the columns read through `crate::db`'s types (see there why not derived).
impl<'r> sqlx::FromRow<'r, AnyRow> for QueueCategory {
    fn from_row(r: &'r AnyRow) -> Result<QueueCategory, sqlx::Error> {
        Ok(QueueCategory {
            code: text(r, "code")?,
            name: text(r, "name")?,
            prefix: text(r, "prefix")?,
            windows: r.try_get::<TrimmedCommaList, _>("windows")?.into(),
            open: r.try_get::<Flag, _>("is_open")?.into(),
            slot_minutes: int(r, "slot_minutes")?,
            slot_capacity: int(r, "slot_capacity")?,
            hours: text(r, "hours")?,
            position: int(r, "position")?,
        })
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Ticket {
    #[serde(skip)]
    pub id: i64,
    pub day: String,
    pub number: String,
    pub category_code: String,
    pub original_category: String,
    /// kiosk or appointment
    pub channel: String,
    /// waiting, called, done or skipped
    pub state: String,
    pub phone: String,
    pub appointment_slot: Option<String>,
    pub taken_at: String,
    pub ready_at: String,
    pub queued_since: String,
    pub first_called_at: Option<String>,
    pub called_at: Option<String>,
    pub announced_at: Option<String>,
    pub call_count: i64,
    pub window_code: Option<String>,
    pub called_by: Option<String>,
    pub finished_at: Option<String>,
    pub waited_seconds: i64,
    pub served_seconds: i64,
    pub transfers: i64,
    pub case_number: Option<String>,
}

/// A ticket about to be issued; its number is assigned inside the transaction.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub region_code: String,
    pub category_code: String,
    /// Local date (YYYY-MM-DD) the ticket is for.
    pub day: String,
    pub phone: String,
    /// For an appointment: the slot ("09:00"), its start (UTC text) and the slot's capacity.
    pub appointment: Option<(String, String, i64)>,
    /// UTC text.
    pub now: String,
    pub actor: String,
}

/// How taking a ticket went. Refusals write nothing.
#[derive(Debug)]
pub enum Taken {
    Issued(Box<Ticket>),
    Closed,
    SlotFull,
}

/// How a window action went.
#[derive(Debug)]
pub enum WindowOutcome {
    /// The ticket acted on (or called).
    Done(Box<Ticket>),
    /// The window already has a ticket at it: finish, skip or transfer it first.
    Busy(Box<Ticket>),
    /// No current ticket to act on.
    NoCurrent,
    /// Nobody is waiting for this window.
    Empty,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct WindowRef {
    pub code: String,
    pub name: String,
}

const TICKET_COLUMNS: &str = "id, day, number, category_code, original_category, channel, state, phone, \
     appointment_slot, taken_at, ready_at, queued_since, first_called_at, called_at, announced_at, call_count, \
     window_code, called_by, finished_at, waited_seconds, served_seconds, transfers, case_number";

/// Seconds from `a` to `b` (UTC text); never negative, 0 when either does not parse.
pub fn seconds_between(a: &str, b: &str) -> i64 {
    let parse = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ");
    match (parse(a), parse(b)) {
        (Ok(a), Ok(b)) => (b - a).num_seconds().max(0),
        _ => 0,
    }
}

fn target(t: &Ticket) -> String {
    format!("{}/{}", t.day, t.number)
}

async fn ticket_by_id(tx: &mut Transaction<'static, Any>, id: i64) -> Result<Ticket, StoreError> {
    Ok(
        sqlx::query_as::<_, Ticket>(&format!("SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

async fn current_in(
    tx: &mut Transaction<'static, Any>,
    region: &str,
    window: &str,
) -> Result<Option<Ticket>, StoreError> {
    Ok(sqlx::query_as::<_, Ticket>(&format!(
        "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE region_code = $1 AND window_code = $2 AND state = 'called' \
         ORDER BY called_at DESC, id DESC LIMIT 1"
    ))
    .bind(region)
    .bind(window)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Claims the next ticket for a window: appointments whose slot has begun first (earliest slot first), then
/// walk-ins in the order they were taken. A transferred ticket keeps its taking time, so it keeps its place.
async fn call_next_in(
    tx: &mut Transaction<'static, Any>,
    region: &str,
    window: &str,
    categories: &[String],
    day: &str,
    now: &str,
    actor: &str,
) -> Result<Option<Ticket>, StoreError> {
    if categories.is_empty() {
        return Ok(None);
    }
    let list = (0..categories.len())
        .map(|i| format!("${}", i + 4))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE region_code = $1 AND day = $2 AND state = 'waiting' \
         AND ready_at <= $3 AND category_code IN ({list}) \
         ORDER BY CASE WHEN appointment_slot IS NULL THEN 1 ELSE 0 END, ready_at, taken_at, id LIMIT 5"
    );
    // A few attempts: on PostgreSQL another window may claim a candidate between our read and our update.
    for _ in 0..5 {
        let mut q = sqlx::query_as::<_, Ticket>(&sql).bind(region).bind(day).bind(now);
        for c in categories {
            q = q.bind(c);
        }
        let candidates = q.fetch_all(&mut **tx).await?;
        if candidates.is_empty() {
            return Ok(None);
        }
        for t in candidates {
            let since = if t.ready_at > t.queued_since {
                &t.ready_at
            } else {
                &t.queued_since
            };
            let waited = t.waited_seconds + seconds_between(since, now);
            let done = sqlx::query(
                "UPDATE queue_tickets SET state = 'called', window_code = $1, called_by = $2, called_at = $3, \
                 announced_at = $3, first_called_at = COALESCE(first_called_at, $3), call_count = call_count + 1, \
                 waited_seconds = $4 WHERE id = $5 AND state = 'waiting'",
            )
            .bind(window)
            .bind(actor)
            .bind(now)
            .bind(waited)
            .bind(t.id)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 1 {
                let called = ticket_by_id(tx, t.id).await?;
                audit(tx, region, actor, "queue.call", &target(&called), window).await?;
                return Ok(Some(called));
            }
        }
    }
    Ok(None)
}

impl Store {
    pub async fn queue_categories(&self, region: &str) -> Result<Vec<QueueCategory>, StoreError> {
        Ok(sqlx::query_as::<_, QueueCategory>(
            "SELECT * FROM queue_categories WHERE region_code = $1 ORDER BY position, prefix",
        )
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn queue_category(&self, region: &str, code: &str) -> Result<Option<QueueCategory>, StoreError> {
        Ok(
            sqlx::query_as::<_, QueueCategory>("SELECT * FROM queue_categories WHERE region_code = $1 AND code = $2")
                .bind(region)
                .bind(code)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Creates (`create`) or replaces a category. A code or prefix already used is a conflict; editing a category
    /// that does not exist is not found. Window codes must name windows of the region.
    pub async fn save_queue_category(
        &self,
        region: &str,
        c: &QueueCategory,
        create: bool,
        actor: &str,
        now: &str,
    ) -> Result<QueueCategory, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        for w in &c.windows {
            if sqlx::query("SELECT 1 FROM windows WHERE region_code = $1 AND code = $2")
                .bind(region)
                .bind(w)
                .fetch_optional(&mut *tx)
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("窗口“{w}”")));
            }
        }
        let exists = sqlx::query("SELECT 1 FROM queue_categories WHERE region_code = $1 AND code = $2")
            .bind(region)
            .bind(&c.code)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if create && exists {
            return Err(StoreError::Conflict(format!("取号类别“{}”已存在", c.code)));
        }
        if !create && !exists {
            return Err(StoreError::NotFound(format!("取号类别“{}”", c.code)));
        }
        if let Some(r) =
            sqlx::query("SELECT code FROM queue_categories WHERE region_code = $1 AND prefix = $2 AND code <> $3")
                .bind(region)
                .bind(&c.prefix)
                .bind(&c.code)
                .fetch_optional(&mut *tx)
                .await?
        {
            return Err(StoreError::Conflict(format!(
                "号码字头“{}”已由类别“{}”使用",
                c.prefix,
                text(&r, "code")?
            )));
        }
        let windows = c.windows.join(",");
        if create {
            sqlx::query(
                "INSERT INTO queue_categories (region_code, code, name, prefix, windows, is_open, slot_minutes, \
                 slot_capacity, hours, position, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(region)
            .bind(&c.code)
            .bind(&c.name)
            .bind(&c.prefix)
            .bind(&windows)
            .bind(i64::from(c.open))
            .bind(c.slot_minutes)
            .bind(c.slot_capacity)
            .bind(&c.hours)
            .bind(c.position)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE queue_categories SET name = $3, prefix = $4, windows = $5, is_open = $6, slot_minutes = $7, \
                 slot_capacity = $8, hours = $9, position = $10, updated_at = $11 WHERE region_code = $1 AND code = $2",
            )
            .bind(region)
            .bind(&c.code)
            .bind(&c.name)
            .bind(&c.prefix)
            .bind(&windows)
            .bind(i64::from(c.open))
            .bind(c.slot_minutes)
            .bind(c.slot_capacity)
            .bind(&c.hours)
            .bind(c.position)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let detail = format!(
            "{} {} {} 窗口{} 预约{}分钟×{}",
            c.prefix,
            c.name,
            if c.open { "开放" } else { "暂停" },
            windows,
            c.slot_minutes,
            c.slot_capacity
        );
        let action = if create {
            "queue.category.create"
        } else {
            "queue.category.update"
        };
        audit(&mut tx, region, actor, action, &c.code, &detail).await?;
        tx.commit().await?;
        drop(turn);
        Ok(c.clone())
    }

    /// Issues a ticket: checks inside the transaction that the category is open, books the appointment slot if
    /// any, numbers the ticket and records it — all or nothing.
    pub async fn take_ticket(&self, new: &NewTicket) -> Result<Taken, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let cat =
            sqlx::query_as::<_, QueueCategory>("SELECT * FROM queue_categories WHERE region_code = $1 AND code = $2")
                .bind(&new.region_code)
                .bind(&new.category_code)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("取号类别“{}”", new.category_code)))?;
        if !cat.open {
            return Ok(Taken::Closed);
        }
        let (slot, ready_at) = match &new.appointment {
            Some((slot, start, capacity)) => {
                let booked = sqlx::query(
                    "INSERT INTO queue_slot_bookings (region_code, category_code, day, slot, booked) \
                     VALUES ($1, $2, $3, $4, 1) ON CONFLICT (region_code, category_code, day, slot) \
                     DO UPDATE SET booked = queue_slot_bookings.booked + 1 WHERE queue_slot_bookings.booked < $5 \
                     RETURNING booked",
                )
                .bind(&new.region_code)
                .bind(&cat.code)
                .bind(&new.day)
                .bind(slot)
                .bind(*capacity)
                .fetch_optional(&mut *tx)
                .await?;
                // A first booking inserts 1 even when the capacity is 0: the caller never books a 0-capacity slot.
                if booked.is_none() {
                    return Ok(Taken::SlotFull);
                }
                (Some(slot.clone()), start.clone())
            }
            None => (None, new.now.clone()),
        };
        let seq = sqlx::query(
            "INSERT INTO queue_sequences (region_code, day, prefix, last) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (region_code, day, prefix) DO UPDATE SET last = queue_sequences.last + 1 RETURNING last",
        )
        .bind(&new.region_code)
        .bind(&new.day)
        .bind(&cat.prefix)
        .fetch_one(&mut *tx)
        .await?;
        let number = format!("{}{:03}", cat.prefix, int(&seq, "last")?);
        let channel = if slot.is_some() { "appointment" } else { "kiosk" };
        let id = sqlx::query(
            "INSERT INTO queue_tickets (region_code, day, number, category_code, original_category, channel, state, \
             phone, appointment_slot, taken_at, ready_at, queued_since) \
             VALUES ($1, $2, $3, $4, $4, $5, 'waiting', $6, $7, $8, $9, $8) RETURNING id",
        )
        .bind(&new.region_code)
        .bind(&new.day)
        .bind(&number)
        .bind(&cat.code)
        .bind(channel)
        .bind(&new.phone)
        .bind(slot.clone())
        .bind(&new.now)
        .bind(&ready_at)
        .fetch_one(&mut *tx)
        .await?;
        let ticket = ticket_by_id(&mut tx, int(&id, "id")?).await?;
        let detail = match &slot {
            Some(s) => format!("{} 预约{s}", cat.name),
            None => cat.name.clone(),
        };
        audit(
            &mut tx,
            &new.region_code,
            &new.actor,
            "queue.take",
            &target(&ticket),
            &detail,
        )
        .await?;
        tx.commit().await?;
        drop(turn);
        Ok(Taken::Issued(Box::new(ticket)))
    }

    /// Waiting tickets that will be called before this one in its category (due appointments count as ahead of a
    /// walk-in; for an appointment, only earlier appointments do).
    pub async fn people_ahead(&self, region: &str, t: &Ticket) -> Result<i64, StoreError> {
        let sql = if t.appointment_slot.is_some() {
            "SELECT COUNT(*) AS n FROM queue_tickets WHERE region_code = $1 AND day = $2 AND category_code = $3 \
             AND state = 'waiting' AND appointment_slot IS NOT NULL AND (ready_at < $4 OR (ready_at = $4 AND \
             (taken_at < $5 OR (taken_at = $5 AND id < $6))))"
        } else {
            "SELECT COUNT(*) AS n FROM queue_tickets WHERE region_code = $1 AND day = $2 AND category_code = $3 \
             AND state = 'waiting' AND ((appointment_slot IS NOT NULL AND ready_at <= $4) OR \
             (appointment_slot IS NULL AND (taken_at < $5 OR (taken_at = $5 AND id < $6))))"
        };
        let r = sqlx::query(sql)
            .bind(region)
            .bind(&t.day)
            .bind(&t.category_code)
            .bind(&t.ready_at)
            .bind(&t.taken_at)
            .bind(t.id)
            .fetch_one(&self.pool)
            .await?;
        Ok(int(&r, "n")?)
    }

    pub async fn ticket(&self, region: &str, day: &str, number: &str) -> Result<Option<Ticket>, StoreError> {
        Ok(sqlx::query_as::<_, Ticket>(&format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE region_code = $1 AND day = $2 AND number = $3"
        ))
        .bind(region)
        .bind(day)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The window a staff member sits at, if any.
    pub async fn staff_window(&self, staff_id: i64) -> Result<Option<WindowRef>, StoreError> {
        Ok(sqlx::query_as::<_, WindowRef>(
            "SELECT w.code, w.name FROM staff s JOIN windows w ON w.id = s.window_id WHERE s.id = $1",
        )
        .bind(staff_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The ticket at a window now (called and not yet finished, skipped or transferred).
    pub async fn current_ticket(&self, region: &str, window: &str) -> Result<Option<Ticket>, StoreError> {
        Ok(sqlx::query_as::<_, Ticket>(&format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE region_code = $1 AND window_code = $2 AND state = 'called' \
             ORDER BY called_at DESC, id DESC LIMIT 1"
        ))
        .bind(region)
        .bind(window)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Calls the next ticket of `categories` to `window`, unless the window still has one.
    pub async fn call_next(
        &self,
        region: &str,
        window: &str,
        categories: &[String],
        day: &str,
        now: &str,
        actor: &str,
    ) -> Result<WindowOutcome, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        if let Some(t) = current_in(&mut tx, region, window).await? {
            return Ok(WindowOutcome::Busy(Box::new(t)));
        }
        let called = call_next_in(&mut tx, region, window, categories, day, now, actor).await?;
        tx.commit().await?;
        drop(turn);
        Ok(called
            .map(|t| WindowOutcome::Done(Box::new(t)))
            .unwrap_or(WindowOutcome::Empty))
    }

    /// Announces the window's current ticket again.
    pub async fn recall(
        &self,
        region: &str,
        window: &str,
        now: &str,
        actor: &str,
    ) -> Result<WindowOutcome, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let Some(t) = current_in(&mut tx, region, window).await? else {
            return Ok(WindowOutcome::NoCurrent);
        };
        sqlx::query("UPDATE queue_tickets SET announced_at = $1, call_count = call_count + 1 WHERE id = $2")
            .bind(now)
            .bind(t.id)
            .execute(&mut *tx)
            .await?;
        let t = ticket_by_id(&mut tx, t.id).await?;
        audit(&mut tx, region, actor, "queue.recall", &target(&t), window).await?;
        tx.commit().await?;
        drop(turn);
        Ok(WindowOutcome::Done(Box::new(t)))
    }

    /// The visitor did not come: the current ticket is skipped (过号) and the next one is called, in one
    /// transaction. Returns the skipped ticket and the one called (if anybody waits).
    pub async fn skip(
        &self,
        region: &str,
        window: &str,
        categories: &[String],
        day: &str,
        now: &str,
        actor: &str,
    ) -> Result<Option<(Ticket, Option<Ticket>)>, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let Some(t) = current_in(&mut tx, region, window).await? else {
            return Ok(None);
        };
        sqlx::query("UPDATE queue_tickets SET state = 'skipped', finished_at = $1 WHERE id = $2")
            .bind(now)
            .bind(t.id)
            .execute(&mut *tx)
            .await?;
        let skipped = ticket_by_id(&mut tx, t.id).await?;
        audit(&mut tx, region, actor, "queue.skip", &target(&skipped), window).await?;
        let next = call_next_in(&mut tx, region, window, categories, day, now, actor).await?;
        tx.commit().await?;
        drop(turn);
        Ok(Some((skipped, next)))
    }

    /// Sends the window's current ticket to another category. It waits again but keeps its taking time, so it is
    /// called in its original turn there rather than at the back; its time at this window counts as serving time.
    pub async fn transfer(
        &self,
        region: &str,
        window: &str,
        to_category: &str,
        now: &str,
        actor: &str,
    ) -> Result<WindowOutcome, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let Some(t) = current_in(&mut tx, region, window).await? else {
            return Ok(WindowOutcome::NoCurrent);
        };
        let served = t.served_seconds + seconds_between(t.called_at.as_deref().unwrap_or(now), now);
        sqlx::query(
            "UPDATE queue_tickets SET state = 'waiting', category_code = $1, window_code = NULL, called_by = NULL, \
             called_at = NULL, queued_since = $2, served_seconds = $3, transfers = transfers + 1 WHERE id = $4",
        )
        .bind(to_category)
        .bind(now)
        .bind(served)
        .bind(t.id)
        .execute(&mut *tx)
        .await?;
        let moved = ticket_by_id(&mut tx, t.id).await?;
        let detail = format!("{} → {to_category}（{window}）", t.category_code);
        audit(&mut tx, region, actor, "queue.transfer", &target(&moved), &detail).await?;
        tx.commit().await?;
        drop(turn);
        Ok(WindowOutcome::Done(Box::new(moved)))
    }

    /// The visitor has been served: the current ticket is done, optionally linked to the case filed for it.
    pub async fn finish(
        &self,
        region: &str,
        window: &str,
        case_number: Option<&str>,
        now: &str,
        actor: &str,
    ) -> Result<WindowOutcome, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let Some(t) = current_in(&mut tx, region, window).await? else {
            return Ok(WindowOutcome::NoCurrent);
        };
        if let Some(n) = case_number {
            if sqlx::query("SELECT 1 FROM cases WHERE region_code = $1 AND number = $2")
                .bind(region)
                .bind(n)
                .fetch_optional(&mut *tx)
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("办件“{n}”")));
            }
        }
        let served = t.served_seconds + seconds_between(t.called_at.as_deref().unwrap_or(now), now);
        sqlx::query(
            "UPDATE queue_tickets SET state = 'done', finished_at = $1, served_seconds = $2, case_number = $3 \
             WHERE id = $4",
        )
        .bind(now)
        .bind(served)
        .bind(case_number)
        .bind(t.id)
        .execute(&mut *tx)
        .await?;
        let done = ticket_by_id(&mut tx, t.id).await?;
        audit(
            &mut tx,
            region,
            actor,
            "queue.finish",
            &target(&done),
            case_number.unwrap_or(window),
        )
        .await?;
        tx.commit().await?;
        drop(turn);
        Ok(WindowOutcome::Done(Box::new(done)))
    }

    /// Tickets of a day in a state, in calling order (for the board and the window page).
    pub async fn tickets_of_day(&self, region: &str, day: &str, state: &str) -> Result<Vec<Ticket>, StoreError> {
        Ok(sqlx::query_as::<_, Ticket>(&format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE region_code = $1 AND day = $2 AND state = $3 \
             ORDER BY CASE WHEN appointment_slot IS NULL THEN 1 ELSE 0 END, ready_at, taken_at, id"
        ))
        .bind(region)
        .bind(day)
        .bind(state)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Tickets at windows now (called, not yet finished), most recent call first.
    pub async fn called_tickets(&self, region: &str) -> Result<Vec<Ticket>, StoreError> {
        Ok(sqlx::query_as::<_, Ticket>(&format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE region_code = $1 AND state = 'called' \
             ORDER BY announced_at DESC, id DESC"
        ))
        .bind(region)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every ticket of the days [from, to] (local dates), for the figures.
    pub async fn tickets_between(&self, region: &str, from: &str, to: &str) -> Result<Vec<Ticket>, StoreError> {
        Ok(sqlx::query_as::<_, Ticket>(&format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE region_code = $1 AND day >= $2 AND day <= $3 ORDER BY id"
        ))
        .bind(region)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Bookings per slot of a category on a day.
    pub async fn slot_bookings(
        &self,
        region: &str,
        category: &str,
        day: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT slot, booked FROM queue_slot_bookings WHERE region_code = $1 AND category_code = $2 AND day = $3",
        )
        .bind(region)
        .bind(category)
        .bind(day)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((text(r, "slot")?, int(r, "booked")?))).collect()
    }

    /// Writes past tickets as they happened (demo data): one transaction, numbers continuing each day's sequence,
    /// one audit entry for the batch.
    pub async fn record_past_tickets(
        &self,
        region: &str,
        tickets: &[Ticket],
        actor: &str,
    ) -> Result<usize, StoreError> {
        let turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        for t in tickets {
            let prefix: String = t.number.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
            let seq = sqlx::query(
                "INSERT INTO queue_sequences (region_code, day, prefix, last) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (region_code, day, prefix) DO UPDATE SET last = queue_sequences.last + 1 RETURNING last",
            )
            .bind(region)
            .bind(&t.day)
            .bind(&prefix)
            .fetch_one(&mut *tx)
            .await?;
            let number = format!("{prefix}{:03}", int(&seq, "last")?);
            if let Some(slot) = &t.appointment_slot {
                sqlx::query(
                    "INSERT INTO queue_slot_bookings (region_code, category_code, day, slot, booked) \
                     VALUES ($1, $2, $3, $4, 1) ON CONFLICT (region_code, category_code, day, slot) \
                     DO UPDATE SET booked = queue_slot_bookings.booked + 1",
                )
                .bind(region)
                .bind(&t.original_category)
                .bind(&t.day)
                .bind(slot)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO queue_tickets (region_code, day, number, category_code, original_category, channel, \
                 state, phone, appointment_slot, taken_at, ready_at, queued_since, first_called_at, called_at, \
                 announced_at, call_count, window_code, called_by, finished_at, waited_seconds, served_seconds, \
                 transfers, case_number) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                 $16, $17, $18, $19, $20, $21, $22, $23)",
            )
            .bind(region)
            .bind(&t.day)
            .bind(&number)
            .bind(&t.category_code)
            .bind(&t.original_category)
            .bind(&t.channel)
            .bind(&t.state)
            .bind(&t.phone)
            .bind(t.appointment_slot.clone())
            .bind(&t.taken_at)
            .bind(&t.ready_at)
            .bind(&t.queued_since)
            .bind(t.first_called_at.clone())
            .bind(t.called_at.clone())
            .bind(t.announced_at.clone())
            .bind(t.call_count)
            .bind(t.window_code.clone())
            .bind(t.called_by.clone())
            .bind(t.finished_at.clone())
            .bind(t.waited_seconds)
            .bind(t.served_seconds)
            .bind(t.transfers)
            .bind(t.case_number.clone())
            .execute(&mut *tx)
            .await?;
        }
        audit(
            &mut tx,
            region,
            actor,
            "queue.record_past",
            "queue_tickets",
            &format!("{}张", tickets.len()),
        )
        .await?;
        tx.commit().await?;
        drop(turn);
        Ok(tickets.len())
    }
}
