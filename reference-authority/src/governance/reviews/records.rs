//! Where schedules and campaigns live.

use super::campaign::{Campaign, ScheduleRecord};
use super::error::ReviewError;
use crate::store::{Store, Table, get_json, put_json, update_json};

const SCHEDULES: Table = Table::Extension("governance_review_schedules");
const CAMPAIGNS: Table = Table::Extension("governance_campaigns");

pub(crate) fn schedules(store: &dyn Store) -> Result<Vec<String>, ReviewError> {
    Ok(store.scan(SCHEDULES)?.into_iter().map(|(k, _)| k).collect())
}

pub(crate) fn add_schedule(store: &dyn Store, record: ScheduleRecord) -> Result<(), ReviewError> {
    let name = record.schedule.name.clone();
    let added =
        update_json::<ScheduleRecord, bool>(store, SCHEDULES, &name, |current| match current {
            Some(_) => (None, false),
            None => (Some(record.clone()), true),
        })?;
    if added {
        Ok(())
    } else {
        Err(ReviewError::DuplicateSchedule(name))
    }
}

/// Claims the schedule's due starts up to `now`: advances its index past
/// them and returns the latest due start, if any (missed runs are not
/// replayed one by one: the latest covers them).
pub(crate) fn claim_due(
    store: &dyn Store,
    name: &str,
    now: i64,
) -> Result<Option<(ScheduleRecord, i64)>, ReviewError> {
    Ok(
        update_json::<ScheduleRecord, Option<(ScheduleRecord, i64)>>(
            store,
            SCHEDULES,
            name,
            |current| {
                let Some(mut record) = current else {
                    return (None, None);
                };
                let s = &record.schedule;
                let mut due = None;
                while let Some(start) = s.cadence.start(s.first_start, record.next) {
                    if start > now {
                        break;
                    }
                    due = Some(start);
                    record.next = record.next.saturating_add(1);
                }
                match due {
                    Some(start) => (Some(record.clone()), Some((record, start))),
                    None => (None, None),
                }
            },
        )?,
    )
}

pub(crate) fn put_campaign(store: &dyn Store, campaign: &Campaign) -> Result<(), ReviewError> {
    Ok(put_json(store, CAMPAIGNS, &campaign.id, campaign)?)
}

pub(crate) fn campaign(store: &dyn Store, id: &str) -> Result<Campaign, ReviewError> {
    get_json(store, CAMPAIGNS, id)?.ok_or_else(|| ReviewError::UnknownCampaign(id.to_owned()))
}

pub(crate) fn campaign_ids(store: &dyn Store) -> Result<Vec<String>, ReviewError> {
    Ok(store.scan(CAMPAIGNS)?.into_iter().map(|(k, _)| k).collect())
}

/// Atomically applies `f` to campaign `id`; `f` returns `Err` to change nothing.
pub(crate) fn modify<R>(
    store: &dyn Store,
    id: &str,
    mut f: impl FnMut(&mut Campaign) -> Result<R, ReviewError>,
) -> Result<R, ReviewError> {
    update_json::<Campaign, Result<R, ReviewError>>(store, CAMPAIGNS, id, |current| {
        let Some(mut campaign) = current else {
            return (None, Err(ReviewError::UnknownCampaign(id.to_owned())));
        };
        match f(&mut campaign) {
            Ok(r) => (Some(campaign), Ok(r)),
            Err(e) => (None, Err(e)),
        }
    })?
}
