//! Files attached to work orders: photos of the problem, letters, scans. They are checked and kept exactly as case
//! materials are (`crate::cases::store_file`: type told from the content — PDF, JPG, PNG or OFD —, the size limit,
//! SHA-256, one copy per content under the data directory); each upload is an `attach` event in the order's
//! history. Only those who may read the order may list or download its files.

use super::{load, may_read};
use crate::error::AppError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use tongban_core::role::Role;
use tongban_store::{HotlineFile, Session, WorkOrder};

/// At most this many files in one upload (or with one intake).
pub const MAX_FILES: usize = 10;

/// One file as it came in: the name the uploader gave it and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Bytes,
}

/// Checks every upload before anything is kept: how many (422 `too_many_files`), each one's size (413
/// `file_too_large`) and type (422 `unsupported_file_type`), the file named in the message.
pub fn check_uploads(state: &AppState, uploads: &[Upload]) -> Result<(), AppError> {
    if uploads.len() > MAX_FILES {
        return Err(AppError::unprocessable(
            "too_many_files",
            format!("一次最多上传{MAX_FILES}个附件"),
        ));
    }
    for u in uploads {
        crate::cases::check_file(state, &u.bytes).map_err(|mut e| {
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
pub async fn keep(
    state: &AppState,
    uploads: &[Upload],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<HotlineFile>, AppError> {
    let mut out = Vec::new();
    for u in uploads {
        let stored = crate::cases::store_file(state, &u.bytes).await?;
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

/// Who may add files to an order: the operators, and the departments handling it (lead or co-handling).
pub fn may_attach(s: &Session, o: &WorkOrder) -> bool {
    s.staff.role == Role::Operator || (s.staff.role.is_department_bound() && may_read(s, o))
}

/// Attaches files to an order: the reader's right (403), the order still open (422 `order_finished`), at least
/// one file (422 `file_required`), every file checked before any is kept; one transaction with the event.
pub async fn attach(
    state: &AppState,
    s: &Session,
    number: &str,
    uploads: &[Upload],
    now: DateTime<Utc>,
) -> Result<Vec<HotlineFile>, AppError> {
    let o = load(state, s, number).await?;
    if !may_attach(s, &o) {
        return Err(AppError::forbidden(
            "只有12345热线话务员和承办、协办部门可以上传工单附件",
        ));
    }
    if matches!(o.state.as_str(), "closed" | "merged") {
        return Err(AppError::unprocessable(
            "order_finished",
            format!("工单已{}，不能再上传附件", super::state_label(&o.state)),
        ));
    }
    if uploads.is_empty() {
        return Err(AppError::unprocessable("file_required", "请选择要上传的文件"));
    }
    check_uploads(state, uploads)?;
    let files = keep(state, uploads, &s.staff.username, now).await?;
    state
        .store
        .attach_work_order_files(
            &s.staff.region_code,
            &o,
            &files,
            &s.staff.username,
            &super::time_text(now),
        )
        .await?;
    Ok(state.store.work_order_files(o.id).await?)
}

/// The files of an order the reader may read (403/404 otherwise).
pub async fn list(state: &AppState, s: &Session, number: &str) -> Result<Vec<HotlineFile>, AppError> {
    let o = load(state, s, number).await?;
    Ok(state.store.work_order_files(o.id).await?)
}

/// One file of an order, for a reader of the order: the bytes with their type, as a download.
pub async fn download(state: &AppState, s: &Session, number: &str, sha256: &str) -> Result<Response, AppError> {
    let o = load(state, s, number).await?;
    let Some(f) = state
        .store
        .work_order_files(o.id)
        .await?
        .into_iter()
        .find(|f| f.sha256 == sha256)
    else {
        return Err(AppError::not_found(format!("工单{number}的附件“{sha256}”")));
    };
    let bytes = tokio::fs::read(crate::cases::file_path(state, &f.sha256))
        .await
        .map_err(AppError::internal)?;
    // RFC 5987: the UTF-8 name percent-encoded, for browsers to save it under; the plain name is the hash.
    let encoded: String = f
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, f.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"; filename*=UTF-8''{encoded}", f.sha256),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// A form as it came: its text fields in order and its files (file inputs left empty are skipped).
#[derive(Debug, Default)]
pub struct FormData {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

fn multipart_error(state: &AppState, e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        crate::cases::too_large(state)
    } else {
        AppError::bad_request("invalid_multipart", format!("multipart/form-data 表单无法解析：{e}"))
    }
}

/// Reads a multipart/form-data body: text fields, and file parts (those with a file name) as uploads.
pub async fn read_multipart(state: &AppState, mut m: Multipart) -> Result<FormData, AppError> {
    let mut out = FormData::default();
    while let Some(field) = m.next_field().await.map_err(|e| multipart_error(state, e))? {
        let name = field.name().unwrap_or("").to_string();
        match field.file_name().map(String::from) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(|e| multipart_error(state, e))?;
                if file_name.is_empty() && bytes.is_empty() {
                    continue;
                }
                out.files.push(Upload { name: file_name, bytes });
            }
            None => {
                let text = field.text().await.map_err(|e| multipart_error(state, e))?;
                out.fields.push((name, text));
            }
        }
    }
    Ok(out)
}

/// A page's form sent either way: `application/x-www-form-urlencoded` (no files) or `multipart/form-data` (with
/// files). The text fields are read as `T`, exactly as `Form<T>` reads them.
pub struct FormWithFiles<T> {
    pub form: T,
    pub files: Vec<Upload>,
}

impl<T: serde::de::DeserializeOwned + Send> FromRequest<AppState> for FormWithFiles<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let bad_form = |e: axum::extract::rejection::FormRejection| {
            AppError::new(e.status(), "invalid_form", format!("表单内容无效：{}", e.body_text()))
        };
        if !multipart {
            let axum::extract::Form(form) = axum::extract::Form::<T>::from_request(req, state)
                .await
                .map_err(bad_form)?;
            return Ok(FormWithFiles {
                form,
                files: Vec::new(),
            });
        }
        let m = Multipart::from_request(req, state)
            .await
            .map_err(|e| AppError::new(e.status(), "invalid_multipart", e.body_text()))?;
        let data = read_multipart(state, m).await?;
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(data.fields.iter())
            .finish();
        let inner = Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(encoded))
            .map_err(AppError::internal)?;
        let axum::extract::Form(form) = axum::extract::Form::<T>::from_request(inner, state)
            .await
            .map_err(bad_form)?;
        Ok(FormWithFiles {
            form,
            files: data.files,
        })
    }
}
