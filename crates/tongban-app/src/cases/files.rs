//! Materials handed in as files: type told from the content, size limit, SHA-256, one copy per content.

use super::*;
use crate::App;
use crate::{Error, ErrorKind};
use tongban_store::{ApplicantSession, CaseRecord, NewEvent, StoreError};

/// A case of the signed-in applicant (their identifier and the phone that received the code); any other case does
/// not exist for them.
pub async fn own_case(app: &App, a: &ApplicantSession, number: &str) -> Result<CaseRecord, Error> {
    match app.store.case_by_number(&a.region_code, number).await? {
        Some(c) if crate::reform::owns(a, &c) => Ok(c),
        _ => Err(Error::not_found(format!("办件“{number}”"))),
    }
}

/// The kind of file from its first bytes, never from its name: PDF, JPEG, PNG, or OFD (the national layout
/// format: a ZIP container with an OFD.xml entry).
pub fn sniff_file(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.starts_with(b"PK\x03\x04") && bytes.windows(7).any(|w| w == b"OFD.xml") {
        Some("application/ofd")
    } else {
        None
    }
}

/// A file kept under the data directory by its content hash.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub sha256: String,
    pub content_type: &'static str,
    pub size: i64,
}

/// Checks an uploaded file without keeping it: not empty (422 `empty_file`), not larger than
/// `max_upload_bytes` (413 `file_too_large`), and by its content a PDF, JPG, PNG or OFD (422
/// `unsupported_file_type`). Returns the content type.
pub fn check_file(app: &App, bytes: &[u8]) -> Result<&'static str, Error> {
    if bytes.is_empty() {
        return Err(Error::unprocessable("empty_file", "文件为空"));
    }
    if bytes.len() > app.config.max_upload_bytes {
        return Err(too_large(app));
    }
    sniff_file(bytes).ok_or_else(|| {
        Error::unprocessable(
            "unsupported_file_type",
            "文件内容不是PDF、JPG、PNG或OFD（按文件内容判断，与文件名无关）",
        )
    })
}

/// 413 `file_too_large`, naming the limit.
pub fn too_large(app: &App) -> Error {
    Error::new(
        ErrorKind::TooLarge,
        "file_too_large",
        format!("文件不能超过{}MB", app.config.max_upload_bytes / 1024 / 1024),
    )
}

/// Where a stored file's bytes are: `<data dir>/files/<first two hex digits>/<sha256>`.
pub fn file_path(app: &App, sha256: &str) -> std::path::PathBuf {
    let prefix = sha256.get(..2).unwrap_or("00");
    app.config.data_dir.join("files").join(prefix).join(sha256)
}

/// Checks a file (`check_file`) and keeps it under the data directory by its SHA-256; the same content is kept
/// once. Shared by case materials and hotline attachments.
pub async fn store_file(app: &App, bytes: &[u8]) -> Result<StoredFile, Error> {
    use sha2::{Digest, Sha256};
    let content_type = check_file(app, bytes)?;
    let sha = hex::encode(Sha256::digest(bytes));
    let path = file_path(app, &sha);
    if !path.exists() {
        let dir = path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(|| app.config.data_dir.join("files"));
        let tmp = dir.join(format!("{sha}.part"));
        let data = bytes.to_vec();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&tmp, &data)?;
            std::fs::rename(&tmp, &path)
        })
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)?;
    }
    Ok(StoredFile {
        sha256: sha,
        content_type,
        size: bytes.len() as i64,
    })
}

/// Stores a material's file under the data directory by content hash and records it with the case: by a member of
/// staff who may attach materials, or by the applicant on their own case while it awaits acceptance or a correction.
pub async fn attach(
    app: &App,
    by: FiledBy<'_>,
    number: &str,
    material: &str,
    bytes: &[u8],
) -> Result<CaseRecord, Error> {
    let (case, actor, role) = match by {
        FiledBy::Staff(s) => {
            crate::policy::require(&s.staff, crate::policy::Capability::AttachMaterials)?;
            let case = load(app, s, number).await?;
            (case, s.staff.username.clone(), s.staff.role.as_str().to_string())
        }
        FiledBy::Applicant(a) => {
            let case = own_case(app, a, number).await?;
            if !matches!(case.state.as_str(), "submitted" | "correction_requested") {
                return Err(Error::conflict(
                    "case_not_open_for_materials",
                    "办件已受理或已办结，申请人不能再上传材料；如需补充请联系窗口",
                ));
            }
            (case, "applicant".to_string(), "applicant".to_string())
        }
        FiledBy::Anonymous => {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                "applicant_login_required",
                "上传材料须先登录",
            ))
        }
    };
    if case.closed_at.is_some() {
        return Err(Error::unprocessable("case_closed", "办件已办结，不能再上传材料"));
    }
    let item = guide_version(app, &case.region_code, &case.item_code, case.item_version).await?;
    let known = item
        .as_ref()
        .is_some_and(|i| i.guide.materials.iter().any(|m| m.name == material));
    if !known {
        return Err(Error::unprocessable(
            "unknown_material",
            format!("“{material}”不是本事项办事指南所列的材料"),
        ));
    }
    let stored = store_file(app, bytes).await?;
    let (sha, content_type) = (stored.sha256, stored.content_type);
    let mut materials = case.materials.clone();
    if !materials.iter().any(|m| m == material) {
        materials.push(material.to_string());
    }
    let file = tongban_store::CaseFile {
        material: material.to_string(),
        sha256: sha.clone(),
        size: bytes.len() as i64,
        content_type: content_type.to_string(),
        uploaded_by: actor.clone(),
        uploaded_at: String::new(),
    };
    let event = NewEvent {
        actor,
        role,
        action: "attach".into(),
        comment: format!("上传材料：{material}"),
        attachments: vec![sha],
        at: None,
    };
    match app.store.attach_file(&case, &file, &event, &materials).await {
        Ok(c) => Ok(c),
        Err(StoreError::Stale { current }) => Err(stale(current)),
        Err(e) => Err(e.into()),
    }
}
