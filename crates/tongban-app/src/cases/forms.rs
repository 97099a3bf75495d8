//! The application form of an item as the applicant meets it: the definition (the guide's own or the default),
//! its JSON Schema, and the answers the platform fills in from what it already knows.

use super::current_item;
use crate::App;
use crate::Error;
use serde_json::{Map, Value};
use tongban_core::form::{FieldKind, FormDefinition, Prefill};
use tongban_store::ApplicantSession;

/// What the platform knows of an applicant, to fill the form's known fields.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub address: String,
    pub enterprise_name: String,
    pub credit_code: String,
    pub legal_representative: String,
}

impl Known {
    /// The signed-in identity: a person's name, ID number and phone, or an enterprise's name and credit code.
    pub fn of(a: &ApplicantSession) -> Known {
        let person = tongban_core::ids::ResidentId::parse(&a.identifier).is_ok();
        Known {
            name: if person { a.name.clone() } else { String::new() },
            id_number: if person { a.identifier.clone() } else { String::new() },
            phone: a.phone.clone(),
            enterprise_name: if person { String::new() } else { a.name.clone() },
            credit_code: if person { String::new() } else { a.identifier.clone() },
            ..Known::default()
        }
    }

    fn value(&self, p: Prefill) -> &str {
        match p {
            Prefill::Name => &self.name,
            Prefill::IdNumber => &self.id_number,
            Prefill::Phone => &self.phone,
            Prefill::Address => &self.address,
            Prefill::EnterpriseName => &self.enterprise_name,
            Prefill::CreditCode => &self.credit_code,
            Prefill::LegalRepresentative => &self.legal_representative,
        }
    }
}

/// What the platform knows of a signed-in applicant: their identity, the legal representative of the enterprise
/// they act for, and the address they gave on their latest application.
pub async fn known_of(app: &App, a: &ApplicantSession) -> Result<Known, Error> {
    let mut known = Known::of(a);
    if !a.acting_as.is_empty() {
        if let Some(rep) = app
            .store
            .enterprise_representative(&a.region_code, &a.identifier)
            .await?
        {
            known.legal_representative = rep.person_name;
        }
    }
    known.address = crate::reform::cases_of(app, a)
        .await?
        .iter()
        .find_map(|c| c.form.get("address").and_then(|v| v.as_str()).map(str::to_string))
        .unwrap_or_default();
    Ok(known)
}

/// The answers of a fresh form: every prefilled field the platform knows a value for.
pub fn prefilled(form: &FormDefinition, known: &Known) -> Map<String, Value> {
    form.fields
        .iter()
        .filter(|f| f.kind != FieldKind::Table)
        .filter_map(|f| {
            let v = known.value(f.prefill?);
            (!v.is_empty()).then(|| (f.name.clone(), Value::String(v.to_string())))
        })
        .collect()
}

/// An item's application form, with the item's name, as the public sees it.
pub async fn item_form(app: &App, region: &str, code: &str) -> Result<(String, FormDefinition), Error> {
    let item = current_item(app, region, code)
        .await?
        .ok_or_else(|| Error::not_found(format!("事项“{code}”")))?;
    let form = item.guide.application_form();
    Ok((item.guide.name, form))
}
