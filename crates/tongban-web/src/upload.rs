//! Files coming in and going out over HTTP: multipart forms with their uploads (checked and kept by the use
//! cases in `tongban_app::hotline::files`) and file downloads with a safe name.

use crate::error::kind_of;
use crate::error::HttpError;
use crate::state::AppState;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tongban_app::hotline::files::Upload;
use tongban_app::Error;

/// A stored file as a download: the UTF-8 name for browsers to save it under (RFC 5987, percent-encoded), the
/// plain name the hash; never sniffed, never cached by proxies.
pub fn download(name: &str, sha256: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{sha256}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// A form as it came: its text fields in order and its files (file inputs left empty are skipped).
#[derive(Debug, Default)]
pub struct FormData {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

fn multipart_error(state: &AppState, e: axum::extract::multipart::MultipartError) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        tongban_app::cases::too_large(state)
    } else {
        Error::bad_request("invalid_multipart", format!("multipart/form-data 表单无法解析：{e}"))
    }
}

/// Reads a multipart/form-data body: text fields, and file parts (those with a file name) as uploads.
pub async fn read_multipart(state: &AppState, mut m: Multipart) -> Result<FormData, HttpError> {
    let mut out = FormData::default();
    while let Some(field) = m.next_field().await.map_err(|e| multipart_error(state, e))? {
        let name = field.name().unwrap_or("").to_string();
        match field.file_name().map(String::from) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(|e| multipart_error(state, e))?;
                if file_name.is_empty() && bytes.is_empty() {
                    continue;
                }
                out.files.push(Upload {
                    name: file_name,
                    bytes: bytes.to_vec(),
                });
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
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, HttpError> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let bad_form = |e: axum::extract::rejection::FormRejection| {
            Error::new(
                kind_of(e.status()),
                "invalid_form",
                format!("表单内容无效：{}", e.body_text()),
            )
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
            .map_err(|e| Error::new(kind_of(e.status()), "invalid_multipart", e.body_text()))?;
        let data = read_multipart(state, m).await?;
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(data.fields.iter())
            .finish();
        let inner = Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(encoded))
            .map_err(Error::internal)?;
        let axum::extract::Form(form) = axum::extract::Form::<T>::from_request(inner, state)
            .await
            .map_err(bad_form)?;
        Ok(FormWithFiles {
            form,
            files: data.files,
        })
    }
}
