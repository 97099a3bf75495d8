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

/// Who hands in a material, on which case: a member of staff who may attach materials, or the applicant on their
/// own case while it awaits acceptance or a correction. Returns the case and the name and role the history records.
async fn open_for_materials(app: &App, by: FiledBy<'_>, number: &str) -> Result<(CaseRecord, String, String), Error> {
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
    Ok((case, actor, role))
}

/// A material's name as the case's guide version lists it (422 `unknown_material` otherwise).
async fn guide_material(app: &App, case: &CaseRecord, material: &str) -> Result<(), Error> {
    let item = guide_version(app, &case.region_code, &case.item_code, case.item_version).await?;
    if item
        .as_ref()
        .is_some_and(|i| i.guide.materials.iter().any(|m| m.name == material))
    {
        Ok(())
    } else {
        Err(Error::unprocessable(
            "unknown_material",
            format!("“{material}”不是本事项办事指南所列的材料"),
        ))
    }
}

/// Records how a material came with the case, its history and the materials on file, in one transaction.
async fn record_material(
    app: &App,
    case: &CaseRecord,
    file: tongban_store::CaseFile,
    role: String,
    comment: String,
) -> Result<CaseRecord, Error> {
    let mut materials = case.materials.clone();
    if !materials.iter().any(|m| m == &file.material) {
        materials.push(file.material.clone());
    }
    let event = NewEvent {
        actor: file.uploaded_by.clone(),
        role,
        action: "attach".into(),
        comment,
        attachments: if file.sha256.is_empty() {
            vec![]
        } else {
            vec![file.sha256.clone()]
        },
        at: None,
    };
    match app.store.attach_file(case, &file, &event, &materials).await {
        Ok(c) => Ok(c),
        Err(StoreError::Stale { current }) => Err(stale(current)),
        Err(e) => Err(e.into()),
    }
}

/// Stores a material's file under the data directory by content hash and records it with the case.
pub async fn attach(
    app: &App,
    by: FiledBy<'_>,
    number: &str,
    material: &str,
    bytes: &[u8],
) -> Result<CaseRecord, Error> {
    let (case, actor, role) = open_for_materials(app, by, number).await?;
    guide_material(app, &case, material).await?;
    let stored = store_file(app, bytes).await?;
    let file = tongban_store::CaseFile {
        material: material.to_string(),
        sha256: stored.sha256,
        size: stored.size,
        content_type: stored.content_type.to_string(),
        uploaded_by: actor,
        uploaded_at: String::new(),
        source: "upload".into(),
        reference: String::new(),
    };
    record_material(app, &case, file, role, format!("上传材料：{material}")).await
}

/// Whether an e-licence stands for a material of the guide: the licence's kind named in the material or the
/// material in the kind (营业执照 for 营业执照或统一社会信用代码证明).
pub fn licence_serves(type_name: &str, material: &str) -> bool {
    !type_name.is_empty() && (material.contains(type_name) || type_name.contains(material))
}

/// 电子证照免提交: a material satisfied by an e-licence the applicant holds, valid and of the matching kind — no
/// file. A licence of someone else, revoked, expired or of another kind is refused and nothing is recorded.
pub async fn reuse_licence(
    app: &App,
    a: &ApplicantSession,
    number: &str,
    material: &str,
    licence_id: &str,
) -> Result<CaseRecord, Error> {
    let (case, actor, role) = open_for_materials(app, FiledBy::Applicant(a), number).await?;
    guide_material(app, &case, material).await?;
    let licence = app
        .store
        .licence(licence_id.trim())
        .await?
        .filter(|l| l.region_code == case.region_code && l.content.holder_code == case.applicant_identifier)
        .ok_or_else(|| Error::not_found(format!("您名下的电子证照“{licence_id}”")))?;
    if licence.revoked_at.is_some() {
        return Err(Error::unprocessable("licence_revoked", "该电子证照已注销，不能调用"));
    }
    if licence
        .content
        .valid_until
        .as_deref()
        .and_then(crate::time::parse_day)
        .is_some_and(|d| d < crate::time::today())
    {
        return Err(Error::unprocessable(
            "licence_expired",
            "该电子证照已过有效期，不能调用",
        ));
    }
    if !licence_serves(&licence.content.type_name, material) {
        return Err(Error::unprocessable(
            "licence_does_not_match",
            format!("“{}”不能代替“{material}”", licence.content.type_name),
        ));
    }
    let file = tongban_store::CaseFile {
        material: material.to_string(),
        sha256: String::new(),
        size: 0,
        content_type: String::new(),
        uploaded_by: actor,
        uploaded_at: String::new(),
        source: "licence".into(),
        reference: licence.content.licence_id.clone(),
    };
    let comment = format!(
        "已调用电子证照：{}（{}）",
        licence.content.type_name, licence.content.number
    );
    record_material(app, &case, file, role, comment).await
}

/// 材料复用: a material satisfied by the same file handed in for it on one of the applicant's earlier cases, with
/// the applicant's confirmation that it still holds (422 `confirmation_required` without).
pub async fn reuse_material(
    app: &App,
    a: &ApplicantSession,
    number: &str,
    material: &str,
    from_case: &str,
    confirmed: bool,
) -> Result<CaseRecord, Error> {
    let (case, actor, role) = open_for_materials(app, FiledBy::Applicant(a), number).await?;
    guide_material(app, &case, material).await?;
    if !confirmed {
        return Err(Error::unprocessable(
            "confirmation_required",
            "复用以前提交的材料须确认材料内容仍然真实有效（confirm）",
        ));
    }
    let earlier = own_case(app, a, from_case).await?;
    let previous = app
        .store
        .case_files(earlier.id)
        .await?
        .into_iter()
        .rev()
        .find(|f| f.material == material && !f.sha256.is_empty())
        .ok_or_else(|| Error::not_found(format!("办件“{from_case}”中的“{material}”文件")))?;
    let file = tongban_store::CaseFile {
        uploaded_by: actor,
        uploaded_at: String::new(),
        source: "reused".into(),
        reference: earlier.number.clone(),
        ..previous
    };
    let comment = format!("复用办件{}的材料：{material}（申请人确认仍然有效）", earlier.number);
    record_material(app, &case, file, role, comment).await
}
