//! The district hall's queue: its department windows, the default categories (综合受理 A … 税务 E), and demo
//! tickets at the report's rate of 158,386 visitors a year (≈634 a working day), produced by simulating the
//! windows calling in the same order the application does.

use chrono::{DateTime, NaiveDate, Utc};
use tongban_store::{QueueCategory, Store, StoreError, Ticket};

/// Visitors received in the hall in 2023 over about 250 working days.
pub const VISITORS_PER_WORKING_DAY: f64 = 158_386.0 / 250.0;

/// Windows the queue needs besides the four comprehensive windows and the approval bureau's area of the base
/// seed: more comprehensive windows and the department windows of the busiest counters.
const EXTRA_WINDOWS: [(&str, &str, Option<&str>); 7] = [
    ("zc-05", "综合受理窗口5号", None),
    ("zc-06", "综合受理窗口6号", None),
    ("zc-07", "综合受理窗口7号", None),
    ("zc-08", "综合受理窗口8号", None),
    ("zq-bdcdj", "不动产登记专窗", Some("bdcdj")),
    ("zq-rsj", "社保医保专窗", Some("rsj")),
    ("zq-swj", "税务专窗", Some("swj")),
];

/// (code, name, prefix, windows, appointments per 30-minute slot, share of visitors, mean minutes at the window)
const CATEGORIES: [(&str, &str, &str, &str, i64, f64, f64); 5] = [
    (
        "zhsl",
        "综合受理",
        "A",
        "zc-01,zc-02,zc-03,zc-04,zc-05,zc-06,zc-07,zc-08",
        4,
        0.45,
        5.0,
    ),
    ("bdc", "不动产登记", "B", "zq-bdcdj,zc-07,zc-08", 3, 0.15, 9.0),
    ("sbyb", "社保医保", "C", "zq-rsj,zc-06", 3, 0.20, 4.0),
    ("qykb", "企业开办", "D", "zq-xzspj,zc-05", 2, 0.10, 10.0),
    ("sw", "税务", "E", "zq-swj", 2, 0.10, 6.0),
];

/// Adds the windows and the default categories. Idempotent, and a category an administrator has edited is left
/// as it is.
pub async fn load_reference(store: &Store, region: &str) -> Result<usize, StoreError> {
    for (code, name, department) in EXTRA_WINDOWS {
        store
            .upsert_window(region, crate::seed::HALL_SITE, code, name, department, "seed")
            .await?;
    }
    let mut created = 0;
    for (position, (code, name, prefix, windows, capacity, _, _)) in CATEGORIES.into_iter().enumerate() {
        if store.queue_category(region, code).await?.is_some() {
            continue;
        }
        let c = QueueCategory {
            code: code.into(),
            name: name.into(),
            prefix: prefix.into(),
            windows: windows.split(',').map(String::from).collect(),
            open: true,
            slot_minutes: 30,
            slot_capacity: capacity,
            hours: tongban_app::queue::DEFAULT_HOURS.into(),
            position: position as i64,
        };
        store
            .save_queue_category(region, &c, true, "seed", &tongban_store::now_text())
            .await?;
        created += 1;
    }
    Ok(created)
}

/// Deterministic pseudo-random numbers, so the demo is the same on every start.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

struct Arrival {
    /// Seconds after local midnight.
    taken: i64,
    ready: i64,
    category: usize,
    slot: Option<String>,
    phone: String,
}

struct Simulated {
    arrival: Arrival,
    called: Option<(i64, usize)>,
    finished: Option<i64>,
    skipped: bool,
}

/// Arrivals of one day: most in the morning, a smaller afternoon wave; one in ten by appointment.
fn arrivals(rng: &mut Rng, n: usize, until: i64) -> Vec<Arrival> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (start, len) = if rng.unit() < 0.62 {
            (9 * 3600, 3 * 3600)
        } else {
            (13 * 3600 + 1800, 3 * 3600 + 1800)
        };
        // Arrivals bunch early in each period (the square pulls them towards its start).
        let taken = start + (rng.unit().powf(1.6) * len as f64) as i64;
        let mut category = 0;
        let mut pick = rng.unit();
        for (i, c) in CATEGORIES.iter().enumerate() {
            if pick < c.5 {
                category = i;
                break;
            }
            pick -= c.5;
        }
        let (taken, ready, slot) = if CATEGORIES[category].4 > 0 && rng.unit() < 0.1 {
            let slot_start = (taken / 1800) * 1800;
            let slot = format!("{:02}:{:02}", slot_start / 3600, slot_start % 3600 / 60);
            (slot_start - rng.below(900) as i64, slot_start, Some(slot))
        } else {
            (taken, taken, None)
        };
        if taken >= until {
            continue;
        }
        let phone = if rng.unit() < 0.6 {
            format!("13{}{:08}", 5 + rng.below(5), rng.below(100_000_000))
        } else {
            String::new()
        };
        out.push(Arrival {
            taken,
            ready,
            category,
            slot,
            phone,
        });
    }
    out.sort_by_key(|a| a.taken);
    out
}

/// Runs the windows over the arrivals: each free window calls, as the application does, the due appointments
/// first and then the earliest walk-in of its categories. Nothing after `until` happens: a ticket still at a
/// window is left called, those not yet called are left waiting.
fn simulate(rng: &mut Rng, day: Vec<Arrival>, until: i64) -> Vec<Simulated> {
    let windows: Vec<(String, Vec<usize>)> = window_order()
        .into_iter()
        .map(|w| {
            let cats = CATEGORIES
                .iter()
                .enumerate()
                .filter(|(_, c)| c.3.split(',').any(|x| x == w))
                .map(|(i, _)| i)
                .collect();
            (w, cats)
        })
        .collect();
    let mut free_at: Vec<i64> = vec![9 * 3600; windows.len()];
    let mut tickets: Vec<Simulated> = day
        .into_iter()
        .map(|a| Simulated {
            arrival: a,
            called: None,
            finished: None,
            skipped: false,
        })
        .collect();
    // The window free soonest acts next, until every window is idle for good or past `until`.
    while let Some((w, &t)) = free_at
        .iter()
        .enumerate()
        .filter(|(_, &t)| t < until)
        .min_by_key(|(_, &t)| t)
    {
        let cats = &windows[w].1;
        let waiting = |s: &Simulated| s.called.is_none() && cats.contains(&s.arrival.category);
        let next = tickets
            .iter()
            .enumerate()
            .filter(|(_, s)| waiting(s) && s.arrival.ready <= t)
            .min_by_key(|(_, s)| (s.arrival.slot.is_none(), s.arrival.ready, s.arrival.taken))
            .map(|(i, _)| i);
        let Some(i) = next else {
            // Idle until the next ticket of its categories can be called.
            free_at[w] = tickets
                .iter()
                .filter(|s| waiting(s))
                .map(|s| s.arrival.ready)
                .min()
                .unwrap_or(i64::MAX);
            continue;
        };
        let s = &mut tickets[i];
        s.called = Some((t, w));
        let busy = if rng.unit() < 0.03 {
            s.skipped = true;
            60
        } else {
            let mean = CATEGORIES[s.arrival.category].6 * 60.0;
            (mean * (0.4 + 1.2 * rng.unit())) as i64
        };
        if t + busy <= until {
            s.finished = Some(t + busy);
            free_at[w] = t + busy + 20;
        } else {
            s.skipped = false;
            free_at[w] = i64::MAX;
        }
    }
    tickets
}

fn stamp(day: NaiveDate, seconds: i64) -> String {
    tongban_app::queue::stamp(tongban_app::queue::local_at(day, seconds))
}

fn to_ticket(day: NaiveDate, s: &Simulated, windows: &[String]) -> Ticket {
    let a = &s.arrival;
    let code = CATEGORIES[a.category].0.to_string();
    let (state, waited, served) = match (s.called, s.finished) {
        (Some(_), Some(_)) if s.skipped => ("skipped", true, false),
        (Some(_), Some(_)) => ("done", true, true),
        (Some(_), None) => ("called", true, false),
        _ => ("waiting", false, false),
    };
    let called_at = s.called.map(|(t, _)| stamp(day, t));
    Ticket {
        id: 0,
        day: day.format("%Y-%m-%d").to_string(),
        // The store numbers the tickets from this prefix, in the order given.
        number: CATEGORIES[a.category].2.to_string(),
        category_code: code.clone(),
        original_category: code,
        channel: if a.slot.is_some() { "appointment" } else { "kiosk" }.into(),
        state: state.into(),
        phone: a.phone.clone(),
        appointment_slot: a.slot.clone(),
        taken_at: stamp(day, a.taken),
        ready_at: stamp(day, a.ready),
        queued_since: stamp(day, a.taken),
        first_called_at: called_at.clone(),
        called_at: called_at.clone(),
        announced_at: called_at,
        call_count: i64::from(s.called.is_some()),
        window_code: s.called.map(|(_, w)| windows[w].clone()),
        called_by: s.called.map(|_| "demo".to_string()),
        finished_at: s.finished.map(|t| stamp(day, t)),
        waited_seconds: match s.called {
            Some((t, _)) if waited => (t - a.ready.max(a.taken)).max(0),
            _ => 0,
        },
        served_seconds: match (s.called, s.finished) {
            (Some((c, _)), Some(f)) if served => f - c,
            _ => 0,
        },
        transfers: 0,
        case_number: None,
    }
}

/// Seeds the hall's tickets: the working days among `past_days` before today in full, and today up to `now` — the
/// hall as it stands when the demo starts (when that is outside opening hours, the last hour and a half of
/// activity is replayed ending now, so the board always shows a hall at work). Returns the tickets written.
pub async fn demo_tickets(
    state: &tongban_app::App,
    region: &str,
    past_days: &[NaiveDate],
    now: DateTime<Utc>,
    scale: f64,
) -> anyhow::Result<usize> {
    let mut rng = Rng(0x0158_3860_2023_0603);
    let per_day = (VISITORS_PER_WORKING_DAY * scale).round().max(1.0) as usize;
    let window_codes = window_order();
    let mut written = 0;
    for &day in past_days {
        let day_arrivals = arrivals(&mut rng, per_day, i64::MAX);
        let sims = simulate(&mut rng, day_arrivals, i64::MAX);
        written += record(state, region, day, &sims, &window_codes).await?;
    }
    let today = tongban_app::queue::local_day(now);
    let seconds_now = (now - tongban_app::queue::local_at(today, 0)).num_seconds();
    // Inside opening hours the day so far is real; otherwise the morning peak is shifted to end now.
    let shift = if (9 * 3600 + 1800..17 * 3600).contains(&seconds_now) {
        0
    } else {
        seconds_now - (10 * 3600 + 1800)
    };
    let until = seconds_now - shift;
    let day_arrivals = arrivals(&mut rng, per_day, until);
    let mut sims = simulate(&mut rng, day_arrivals, until);
    for s in &mut sims {
        let a = &mut s.arrival;
        a.taken += shift;
        a.ready += shift;
        if shift != 0 {
            // Shifted off the clock, slot labels would name no real slot: these visitors count as walk-ins.
            a.slot = None;
            a.ready = a.taken;
        }
        s.called = s.called.map(|(t, w)| (t + shift, w));
        s.finished = s.finished.map(|t| t + shift);
    }
    written += record(state, region, today, &sims, &window_codes).await?;
    Ok(written)
}

fn window_order() -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for c in CATEGORIES {
        for w in c.3.split(',') {
            if !codes.iter().any(|x| x == w) {
                codes.push(w.to_string());
            }
        }
    }
    codes
}

async fn record(
    state: &tongban_app::App,
    region: &str,
    day: NaiveDate,
    sims: &[Simulated],
    windows: &[String],
) -> anyhow::Result<usize> {
    let mut tickets: Vec<Ticket> = sims.iter().map(|s| to_ticket(day, s, windows)).collect();
    tickets.sort_by(|a, b| a.taken_at.cmp(&b.taken_at));
    Ok(state.store.record_past_tickets(region, &tickets, "demo").await?)
}

/// The demo's queue: `days - 1` full working days before today (at least one) and today so far.
pub async fn demo(state: &tongban_app::App, region: &str, days: u32, scale: f64) -> anyhow::Result<usize> {
    let now = Utc::now();
    let calendar = state.calendar();
    let mut day = tongban_app::queue::local_day(now);
    let mut past = Vec::new();
    while past.len() < days.saturating_sub(1).max(1) as usize {
        day -= chrono::Duration::days(1);
        if calendar.is_working_day(day) {
            past.push(day);
        }
    }
    past.reverse();
    demo_tickets(state, region, &past, now, scale).await
}
