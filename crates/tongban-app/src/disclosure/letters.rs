//! The letters a request is answered with, numbered 〔year〕n号 and printable.

use super::*;
use crate::time::parse_day;
use crate::App;
use crate::{Error, ErrorKind};
use chrono::Datelike;
use serde::Serialize;
use tongban_store::Session;

#[derive(Debug, Clone, Serialize)]
pub struct Letter {
    pub title: String,
    /// 云溪区XX局依申请公开〔2026〕第1号
    pub reference: String,
    pub addressee: String,
    pub paragraphs: Vec<String>,
    pub organ: String,
    pub date: String,
}

fn chinese_date(d: &str) -> String {
    match parse_day(d) {
        Some(d) => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        None => d.to_string(),
    }
}

pub async fn letter(app: &App, s: &Session, number: &str, kind: &str) -> Result<Letter, Error> {
    let r = load_request(app, s, number).await?;
    let events = app.store.disclosure_request_events(&r).await?;
    let county = app
        .store
        .region(&s.staff.region_code)
        .await?
        .map(|x| x.name)
        .unwrap_or_default();
    let organ = if r.department_name.starts_with('区') {
        format!("{county}{}", r.department_name.trim_start_matches('区'))
    } else {
        r.department_name.clone()
    };
    let received = chinese_date(&r.received_on);
    let opening = format!(
        "本机关于{received}收到您提出的政府信息公开申请（编号{}），您申请获取：“{}”。",
        r.number, r.description
    );
    let event = |action: &str| events.iter().rev().find(|e| e.action == action);
    let (title, paragraphs, date) = match kind {
        "reply" => {
            let (Some(k), Some(gr)) = (&r.reply_kind, &r.reply_ground) else {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "not_replied",
                    "该申请尚未答复，不能生成答复告知书",
                ));
            };
            let found = ground(k, gr).ok_or_else(|| Error::internal("unknown ground stored"))?;
            let mut p = vec![opening, format!("经审查，现答复如下：{}", found.letter)];
            if !r.refer_to.is_empty() {
                p.push(format!("负责公开该政府信息的机关为：{}，请向其提出申请。", r.refer_to));
            }
            if !r.reply_text.is_empty() {
                p.push(r.reply_text.clone());
            }
            p.push(format!("本告知书通过{}方式送达。", delivery_label(&r.delivery)));
            p.push(
                "如对本答复不服，可以在收到本告知书之日起60日内依法申请行政复议，或者在6个月内依法向人民法院提起行政诉讼。"
                    .into(),
            );
            (
                "政府信息公开申请答复告知书",
                p,
                r.replied_on.clone().unwrap_or_default(),
            )
        }
        "correction" => {
            let e = event("request_correction")
                .ok_or_else(|| Error::new(ErrorKind::Conflict, "no_correction", "该申请没有发出过补正告知"))?;
            let p = vec![
                opening,
                format!("经审查，您的申请内容不明确，请补正以下内容：{}", e.detail),
                "请您自收到本告知书之日起15个工作日内补正；无正当理由逾期不补正的，视为放弃申请，本机关不再处理该政府信息公开申请。答复期限自本机关收到补正的申请之日起计算。".into(),
            ];
            ("政府信息公开申请补正告知书", p, e.day.clone())
        }
        "extension" => {
            let e =
                event("extend").ok_or_else(|| Error::new(ErrorKind::Conflict, "no_extension", "该申请没有延期答复"))?;
            let p = vec![
                opening,
                format!(
                    "因{}，依据《中华人民共和国政府信息公开条例》第三十三条第二款，经本机关政府信息公开工作机构负责人同意，答复期限延长{}个工作日，延长后的答复期限为{}。",
                    e.detail.split_once('：').map(|(_, x)| x).unwrap_or(&e.detail),
                    r.extended_days,
                    chinese_date(&r.due_date)
                ),
                "特此告知。".into(),
            ];
            ("政府信息公开申请延期答复告知书", p, e.day.clone())
        }
        other => {
            return Err(Error::bad_request(
                "invalid_letter",
                format!("文书类型“{other}”应为reply、correction或extension"),
            ))
        }
    };
    Ok(Letter {
        title: title.into(),
        reference: {
            // GK2026-0007 → 〔2026〕7号, the way organs number their outgoing letters.
            let (year, seq) = r
                .number
                .trim_start_matches(NUMBER_PREFIX)
                .split_once('-')
                .unwrap_or(("", &r.number));
            format!("依申请公开〔{year}〕{}号", seq.trim_start_matches('0'))
        },
        addressee: format!("{}：", r.applicant_name),
        paragraphs,
        organ,
        date: chinese_date(&date),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Appeals (行政复议、行政诉讼).
