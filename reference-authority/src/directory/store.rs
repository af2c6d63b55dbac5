//! Where the directory is kept: JSON records in the authority's store,
//! tables `directory_people` (by user id) and `directory_groups` (by group id).

use super::error::DirectoryError;
use super::model::{GroupRecord, PersonRecord};
use crate::Authority;
use crate::store::{Table, get_json, put_json};
use serde::de::DeserializeOwned;

pub(crate) const PEOPLE: Table = Table::Extension("directory_people");
pub(crate) const GROUPS: Table = Table::Extension("directory_groups");

pub(crate) fn person(
    authority: &Authority,
    id: &str,
) -> Result<Option<PersonRecord>, DirectoryError> {
    Ok(get_json(authority.store().as_ref(), PEOPLE, id)?)
}

pub(crate) fn group(
    authority: &Authority,
    id: &str,
) -> Result<Option<GroupRecord>, DirectoryError> {
    Ok(get_json(authority.store().as_ref(), GROUPS, id)?)
}

pub(crate) fn save_person(authority: &Authority, p: &PersonRecord) -> Result<(), DirectoryError> {
    Ok(put_json(authority.store().as_ref(), PEOPLE, &p.user_id, p)?)
}

pub(crate) fn save_group(authority: &Authority, g: &GroupRecord) -> Result<(), DirectoryError> {
    Ok(put_json(authority.store().as_ref(), GROUPS, &g.id, g)?)
}

pub(crate) fn delete(authority: &Authority, table: Table, id: &str) -> Result<(), DirectoryError> {
    authority.store().delete(table, id)?;
    Ok(())
}

pub(crate) fn all<T: DeserializeOwned>(
    authority: &Authority,
    table: Table,
) -> Result<Vec<T>, DirectoryError> {
    authority
        .store()
        .scan(table)?
        .into_iter()
        .map(|(_, bytes)| {
            serde_json::from_slice(&bytes)
                .map_err(|_| DirectoryError::Store(crate::StoreError::Corrupt(table.name())))
        })
        .collect()
}
