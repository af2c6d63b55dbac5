//! A tuple set indexed both ways: object#relation -> users, and user -> objects.

use std::collections::HashMap;
use std::sync::Arc;

use super::interner::{Interner, Sym};
use crate::tuple::{Context, ObjectRef, RelationshipCondition, TupleKey, User};

/// The condition stored with a tuple.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredCondition {
    pub(crate) name: String,
    pub(crate) context: Option<Context>,
}

/// One stored tuple, its strings interned.
#[derive(Debug, Clone)]
struct Stored {
    object_type: Sym,
    object_id: Sym,
    relation: Sym,
    user_type: Sym,
    /// `*` for a wildcard.
    user_id: Sym,
    user_relation: Option<Sym>,
    condition: Option<Arc<StoredCondition>>,
}

/// A borrowed view of a stored tuple.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TupleView<'a> {
    pub(crate) object_type: &'a str,
    pub(crate) object_id: &'a str,
    pub(crate) relation: &'a str,
    pub(crate) user_type: &'a str,
    pub(crate) user_id: &'a str,
    pub(crate) user_relation: Option<&'a str>,
    pub(crate) condition: Option<&'a StoredCondition>,
}

impl TupleView<'_> {
    pub(crate) fn is_wildcard(&self) -> bool {
        self.user_id == "*" && self.user_relation.is_none()
    }

    pub(crate) fn user(&self) -> User {
        let object = ObjectRef {
            type_name: self.user_type.to_owned(),
            id: self.user_id.to_owned(),
        };
        match self.user_relation {
            Some(r) => User::Userset(object, r.to_owned()),
            None if self.is_wildcard() => User::Wildcard(self.user_type.to_owned()),
            None => User::Object(object),
        }
    }

    pub(crate) fn to_key(self) -> TupleKey {
        TupleKey {
            object: format!("{}:{}", self.object_type, self.object_id),
            relation: self.relation.to_owned(),
            user: self.user().to_string(),
            condition: self.condition.map(|c| RelationshipCondition {
                name: c.name.clone(),
                context: c.context.clone(),
            }),
        }
    }
}

type Key = (Sym, Sym, Sym, Sym, Sym, Option<Sym>);

/// Tuples with their indexes.
#[derive(Debug, Default, Clone)]
pub(crate) struct TupleIndex {
    interner: Interner,
    slots: Vec<Option<Stored>>,
    free: Vec<usize>,
    by_key: HashMap<Key, usize>,
    by_object: HashMap<(Sym, Sym, Sym), Vec<usize>>,
    by_user: HashMap<(Sym, Sym, Option<Sym>), Vec<usize>>,
    len: usize,
}

/// The parts of a tuple to insert.
#[derive(Debug, Clone)]
pub(crate) struct NewTuple<'a> {
    pub(crate) object: &'a ObjectRef,
    pub(crate) relation: &'a str,
    pub(crate) user: &'a User,
    pub(crate) condition: Option<StoredCondition>,
}

fn user_parts(user: &User) -> (&str, &str, Option<&str>) {
    match user {
        User::Object(o) => (&o.type_name, &o.id, None),
        User::Wildcard(t) => (t, "*", None),
        User::Userset(o, r) => (&o.type_name, &o.id, Some(r)),
    }
}

impl TupleIndex {
    /// Number of tuples.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn lookup_key(&self, object: &ObjectRef, relation: &str, user: &User) -> Option<Key> {
        let (ut, uid, ur) = user_parts(user);
        let ur = match ur {
            Some(r) => Some(self.interner.get(r)?),
            None => None,
        };
        Some((
            self.interner.get(&object.type_name)?,
            self.interner.get(&object.id)?,
            self.interner.get(relation)?,
            self.interner.get(ut)?,
            self.interner.get(uid)?,
            ur,
        ))
    }

    /// The stored tuple `type:id#relation@user` (user given as type, id, optional
    /// relation; `*` id for a wildcard), if present.
    pub(crate) fn get(
        &self,
        object: (&str, &str),
        relation: &str,
        user: (&str, &str, Option<&str>),
    ) -> Option<TupleView<'_>> {
        let i = &self.interner;
        let ur = match user.2 {
            Some(r) => Some(i.get(r)?),
            None => None,
        };
        let key = (
            i.get(object.0)?,
            i.get(object.1)?,
            i.get(relation)?,
            i.get(user.0)?,
            i.get(user.1)?,
            ur,
        );
        self.view(*self.by_key.get(&key)?)
    }

    /// Whether the tuple (ignoring its condition) is present.
    pub(crate) fn contains(&self, object: &ObjectRef, relation: &str, user: &User) -> bool {
        self.lookup_key(object, relation, user)
            .is_some_and(|k| self.by_key.contains_key(&k))
    }

    /// Inserts; returns false when the tuple is already present.
    pub(crate) fn insert(&mut self, t: NewTuple<'_>) -> bool {
        let (ut, uid, ur) = user_parts(t.user);
        let stored = Stored {
            object_type: self.interner.intern(&t.object.type_name),
            object_id: self.interner.intern(&t.object.id),
            relation: self.interner.intern(t.relation),
            user_type: self.interner.intern(ut),
            user_id: self.interner.intern(uid),
            user_relation: ur.map(|r| self.interner.intern(r)),
            condition: t.condition.map(Arc::new),
        };
        let key = (
            stored.object_type,
            stored.object_id,
            stored.relation,
            stored.user_type,
            stored.user_id,
            stored.user_relation,
        );
        if self.by_key.contains_key(&key) {
            return false;
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.by_key.insert(key, slot);
        self.by_object
            .entry((stored.object_type, stored.object_id, stored.relation))
            .or_default()
            .push(slot);
        self.by_user
            .entry((stored.user_type, stored.user_id, stored.user_relation))
            .or_default()
            .push(slot);
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some(stored);
        }
        self.len += 1;
        true
    }

    /// Removes; returns false when absent.
    pub(crate) fn remove(&mut self, object: &ObjectRef, relation: &str, user: &User) -> bool {
        let Some(key) = self.lookup_key(object, relation, user) else {
            return false;
        };
        let Some(slot) = self.by_key.remove(&key) else {
            return false;
        };
        let Some(stored) = self.slots.get_mut(slot).and_then(Option::take) else {
            return false;
        };
        if let Some(v) =
            self.by_object
                .get_mut(&(stored.object_type, stored.object_id, stored.relation))
        {
            v.retain(|s| *s != slot);
        }
        if let Some(v) =
            self.by_user
                .get_mut(&(stored.user_type, stored.user_id, stored.user_relation))
        {
            v.retain(|s| *s != slot);
        }
        self.free.push(slot);
        self.len -= 1;
        true
    }

    fn view(&self, slot: usize) -> Option<TupleView<'_>> {
        let s = self.slots.get(slot)?.as_ref()?;
        let i = &self.interner;
        Some(TupleView {
            object_type: i.resolve(s.object_type),
            object_id: i.resolve(s.object_id),
            relation: i.resolve(s.relation),
            user_type: i.resolve(s.user_type),
            user_id: i.resolve(s.user_id),
            user_relation: s.user_relation.map(|r| i.resolve(r)),
            condition: s.condition.as_deref(),
        })
    }

    /// The tuples of `type:id#relation`.
    pub(crate) fn by_object(
        &self,
        object_type: &str,
        object_id: &str,
        relation: &str,
    ) -> Vec<TupleView<'_>> {
        let i = &self.interner;
        let (Some(t), Some(id), Some(r)) = (i.get(object_type), i.get(object_id), i.get(relation))
        else {
            return Vec::new();
        };
        self.by_object
            .get(&(t, id, r))
            .map(|slots| slots.iter().filter_map(|s| self.view(*s)).collect())
            .unwrap_or_default()
    }

    /// The tuples whose user is exactly `user` (wildcards are `type`, `*`).
    pub(crate) fn by_user(
        &self,
        user_type: &str,
        user_id: &str,
        user_relation: Option<&str>,
    ) -> Vec<TupleView<'_>> {
        let i = &self.interner;
        let (Some(t), Some(id)) = (i.get(user_type), i.get(user_id)) else {
            return Vec::new();
        };
        let r = match user_relation {
            Some(r) => match i.get(r) {
                Some(r) => Some(r),
                None => return Vec::new(),
            },
            None => None,
        };
        self.by_user
            .get(&(t, id, r))
            .map(|slots| slots.iter().filter_map(|s| self.view(*s)).collect())
            .unwrap_or_default()
    }

    /// Every tuple, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = TupleView<'_>> {
        (0..self.slots.len()).filter_map(|s| self.view(s))
    }
}
