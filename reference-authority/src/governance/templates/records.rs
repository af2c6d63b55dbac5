//! Where templates live: one record per template, its links included, so
//! that linking and changing are atomic.

use super::error::TemplateError;
use super::template::TemplateRecord;
use crate::store::{Store, Table, get_json, update_json};

const TEMPLATES: Table = Table::Extension("governance_templates");

pub(crate) fn get(store: &dyn Store, name: &str) -> Result<TemplateRecord, TemplateError> {
    get_json(store, TEMPLATES, name)?.ok_or_else(|| TemplateError::Unknown(name.to_owned()))
}

pub(crate) fn all(store: &dyn Store) -> Result<Vec<TemplateRecord>, TemplateError> {
    store
        .scan(TEMPLATES)?
        .into_iter()
        .map(|(_, bytes)| {
            serde_json::from_slice(&bytes)
                .map_err(|_| TemplateError::Store(crate::StoreError::Corrupt(TEMPLATES.name())))
        })
        .collect()
}

pub(crate) fn create(store: &dyn Store, record: TemplateRecord) -> Result<(), TemplateError> {
    let name = record.template.name.clone();
    let created =
        update_json::<TemplateRecord, bool>(store, TEMPLATES, &name, |current| match current {
            Some(_) => (None, false),
            None => (Some(record.clone()), true),
        })?;
    if created {
        Ok(())
    } else {
        Err(TemplateError::Exists(name))
    }
}

/// Atomically applies `f` to template `name`; `f` returns `Err` to change nothing.
pub(crate) fn modify<R>(
    store: &dyn Store,
    name: &str,
    mut f: impl FnMut(&mut TemplateRecord) -> Result<R, TemplateError>,
) -> Result<R, TemplateError> {
    update_json::<TemplateRecord, Result<R, TemplateError>>(store, TEMPLATES, name, |current| {
        let Some(mut record) = current else {
            return (None, Err(TemplateError::Unknown(name.to_owned())));
        };
        match f(&mut record) {
            Ok(r) => (Some(record), Ok(r)),
            Err(e) => (None, Err(e)),
        }
    })?
}

pub(crate) fn delete(store: &dyn Store, name: &str) -> Result<bool, TemplateError> {
    Ok(store.delete(TEMPLATES, name)?)
}
