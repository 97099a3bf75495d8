//! Files attached to work orders: photos of the problem, letters, scans. They are checked and kept exactly as case
//! materials are (`crate::cases::store_file`: type told from the content — PDF, JPG, PNG or OFD —, the size limit,
//! SHA-256, one copy per content under the data directory); each upload is an `attach` event in the order's
//! history. Only those who may read the order may list or download its files.

use super::load;
use crate::App;
use crate::Error;
use chrono::{DateTime, Utc};
use tongban_store::{HotlineFile, Session};

/// At most this many files in one upload (or with one intake).
pub const MAX_FILES: usize = 10;

/// One file as it came in: the name the uploader gave it and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Checks every upload before anything is kept: how many (422 `too_many_files`), each one's size (413
/// `file_too_large`) and type (422 `unsupported_file_type`), the file named in the message.
pub fn check_uploads(app: &App, uploads: &[Upload]) -> Result<(), Error> {
    if uploads.len() > MAX_FILES {
        return Err(Error::unprocessable(
            "too_many_files",
            format!("一次最多上传{MAX_FILES}个附件"),
        ));
    }
    for u in uploads {
        crate::cases::check_file(app, &u.bytes).map_err(|mut e| {
            e.message = format!("附件“{}”：{}", u.name, e.message);
            e
        })?;
    }
    Ok(())
}

/// A display name: the last path component, control characters dropped, at most 100 characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if clean.trim().is_empty() {
        "附件".to_string()
    } else {
        clean.trim().to_string()
    }
}

/// Keeps checked uploads under the data directory and describes them for the order.
pub async fn keep(app: &App, uploads: &[Upload], actor: &str, now: DateTime<Utc>) -> Result<Vec<HotlineFile>, Error> {
    let mut out = Vec::new();
    for u in uploads {
        let stored = crate::cases::store_file(app, &u.bytes).await?;
        out.push(HotlineFile {
            name: clean_name(&u.name),
            sha256: stored.sha256,
            size: stored.size,
            content_type: stored.content_type.to_string(),
            uploaded_by: actor.to_string(),
            uploaded_at: super::time_text(now),
        });
    }
    Ok(out)
}

/// Attaches files to an order: the reader's right (403), the order still open (422 `order_finished`), at least
/// one file (422 `file_required`), every file checked before any is kept; one transaction with the event.
pub async fn attach(
    app: &App,
    s: &Session,
    number: &str,
    uploads: &[Upload],
    now: DateTime<Utc>,
) -> Result<Vec<HotlineFile>, Error> {
    let o = load(app, s, number).await?;
    if !crate::policy::may_attach_to_order(s, &o) {
        return Err(Error::forbidden("只有12345热线话务员和承办、协办部门可以上传工单附件"));
    }
    if matches!(o.state.as_str(), "closed" | "merged") {
        return Err(Error::unprocessable(
            "order_finished",
            format!("工单已{}，不能再上传附件", super::state_label(&o.state)),
        ));
    }
    if uploads.is_empty() {
        return Err(Error::unprocessable("file_required", "请选择要上传的文件"));
    }
    check_uploads(app, uploads)?;
    let files = keep(app, uploads, &s.staff.username, now).await?;
    app.store
        .attach_work_order_files(
            &s.staff.region_code,
            &o,
            &files,
            &s.staff.username,
            &super::time_text(now),
        )
        .await?;
    Ok(app.store.work_order_files(o.id).await?)
}

/// The files of an order the reader may read (403/404 otherwise).
pub async fn list(app: &App, s: &Session, number: &str) -> Result<Vec<HotlineFile>, Error> {
    let o = load(app, s, number).await?;
    Ok(app.store.work_order_files(o.id).await?)
}

/// One file of an order, for a reader of the order: its description and its bytes.
pub async fn download(app: &App, s: &Session, number: &str, sha256: &str) -> Result<(HotlineFile, Vec<u8>), Error> {
    let o = load(app, s, number).await?;
    let Some(f) = app
        .store
        .work_order_files(o.id)
        .await?
        .into_iter()
        .find(|f| f.sha256 == sha256)
    else {
        return Err(Error::not_found(format!("工单{number}的附件“{sha256}”")));
    };
    let bytes = tokio::fs::read(crate::cases::file_path(app, &f.sha256))
        .await
        .map_err(Error::internal)?;
    Ok((f, bytes))
}
