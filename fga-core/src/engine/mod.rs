//! The embedded engine: a model, its tuples, and the OpenFGA calls over them.

mod batch;
mod eval;
mod expand;
mod list;
mod path;
mod requests;
mod reverse;
mod tuple_check;
mod typesystem;

use std::collections::BTreeSet;
use std::ops::ControlFlow;

pub use eval::MAX_DEPTH;
pub use expand::{Node, UsersetTree};
pub use requests::{
    BatchCheckItem, BatchCheckResult, CheckRequest, ListObjectsRequest, ListObjectsResponse,
    ListUsersRequest,
};

use crate::model::AuthorizationModel;
use crate::store::ReadFilter;
use crate::store::index::{NewTuple, TupleIndex};
use crate::tuple::{ObjectRef, TupleKey, User, UserRef, split_object};
use crate::{Error, text};
use eval::{Eval, Sources};
use tuple_check::validate_tuple;
use typesystem::Typesystem;

/// An in-process OpenFGA store: one authorization model and its tuples.
#[derive(Debug, Clone)]
pub struct Engine {
    ts: Typesystem,
    tuples: TupleIndex,
}

impl Engine {
    /// An engine over a model; the model is validated (types, relations, entry points,
    /// conditions).
    pub fn new(model: AuthorizationModel) -> Result<Self, Error> {
        Ok(Self {
            ts: Typesystem::new(model)?,
            tuples: TupleIndex::default(),
        })
    }

    /// An engine over a model written in the DSL.
    pub fn from_dsl(dsl: &str) -> Result<Self, Error> {
        Self::new(crate::model::dsl::parse(dsl)?)
    }

    /// The model.
    pub fn model(&self) -> &AuthorizationModel {
        &self.ts.model
    }

    /// Replaces the model and keeps the tuples; tuples that no longer fit it are ignored
    /// by every call until a model they fit returns.
    pub fn set_model(&mut self, model: AuthorizationModel) -> Result<(), Error> {
        self.ts = Typesystem::new(model)?;
        Ok(())
    }

    /// Number of stored tuples.
    pub fn len(&self) -> usize {
        self.tuples.len()
    }

    /// Heap bytes held by the stored tuples, their indexes and interned strings, computed
    /// from the capacities of the store's containers (allocator overhead not included).
    pub fn heap_bytes(&self) -> usize {
        self.tuples.heap_bytes()
    }

    /// Whether no tuple is stored.
    pub fn is_empty(&self) -> bool {
        self.tuples.len() == 0
    }

    /// Writes and deletes tuples atomically: every tuple is validated first, and a rejected
    /// request changes nothing (2027 for a tuple that does not fit the model, 2017 for a
    /// write of an existing tuple or a delete of a missing one).
    pub fn write(&mut self, writes: &[TupleKey], deletes: &[TupleKey]) -> Result<(), Error> {
        let mut valid_writes = Vec::with_capacity(writes.len());
        let mut seen = std::collections::HashSet::new();
        for key in writes {
            let v = validate_tuple(&self.ts, key)?;
            let id = (v.object.clone(), v.relation.clone(), v.user.clone());
            if !seen.insert(id) || self.tuples.contains(&v.object, &v.relation, &v.user) {
                return Err(Error::WriteConflict {
                    op: "write",
                    tuple: key.to_string(),
                    reason: "the tuple already exists".into(),
                });
            }
            valid_writes.push(v);
        }
        let mut valid_deletes = Vec::with_capacity(deletes.len());
        for key in deletes {
            let object = ObjectRef::parse(&key.object)?;
            let user = User::parse(&key.user)?;
            let id = (object.clone(), key.relation.clone(), user.clone());
            if !seen.insert(id) || !self.tuples.contains(&object, &key.relation, &user) {
                return Err(Error::WriteConflict {
                    op: "delete",
                    tuple: key.to_string(),
                    reason: "the tuple does not exist".into(),
                });
            }
            valid_deletes.push((object, key.relation.clone(), user));
        }
        for (object, relation, user) in &valid_deletes {
            self.tuples.remove(object, relation, user);
        }
        for v in valid_writes {
            self.tuples.insert(NewTuple {
                object: &v.object,
                relation: &v.relation,
                user: &v.user,
                condition: v.condition,
            });
        }
        Ok(())
    }

    /// Bulk load: adds many tuples at once, validated as [`Engine::write`] validates them
    /// (2027), packed with the tuples already stored into sorted arrays (u32 ids per
    /// type, CSR adjacency both ways; see the `fga-scale` guide). A tuple written twice,
    /// or already stored, fails the whole load (2017) and nothing changes. Later writes
    /// and deletes go to a small delta over the packed tuples, until
    /// [`Engine::compact`] or the next bulk load packs them in. Returns how many tuples
    /// were added.
    ///
    /// ```
    /// use fga_core::{CheckRequest, Engine, TupleKey};
    ///
    /// let mut engine = Engine::from_dsl(
    ///     "model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]\n",
    /// )?;
    /// let tuples = (0..1000).map(|i| TupleKey::new(format!("doc:{i}"), "viewer", "user:ann"));
    /// assert_eq!(engine.bulk_load(tuples)?, 1000);
    /// engine.write(&[TupleKey::new("doc:x", "viewer", "user:bob")], &[])?;
    /// assert!(engine.check(&CheckRequest::new("doc:7", "viewer", "user:ann"))?);
    /// assert!(engine.check(&CheckRequest::new("doc:x", "viewer", "user:bob"))?);
    /// assert!(engine.bulk_load([TupleKey::new("doc:7", "viewer", "user:ann")]).is_err());
    /// assert_eq!(engine.len(), 1001);
    /// # Ok::<(), fga_core::Error>(())
    /// ```
    pub fn bulk_load(
        &mut self,
        tuples: impl IntoIterator<Item = TupleKey>,
    ) -> Result<usize, Error> {
        let tuples = tuples.into_iter();
        let too_many = |_| {
            Error::Validation(
                "a bulk load holds at most 65,534 object type#relation pairs and user kinds".into(),
            )
        };
        let mut loader = self.tuples.loader(tuples.size_hint().0).map_err(too_many)?;
        let before = loader.len();
        for key in tuples {
            let v = validate_tuple(&self.ts, &key)?;
            self.tuples
                .load(
                    &mut loader,
                    NewTuple {
                        object: &v.object,
                        relation: &v.relation,
                        user: &v.user,
                        condition: v.condition,
                    },
                )
                .map_err(too_many)?;
        }
        let added = loader.len() - before;
        self.tuples
            .finish_load(loader)
            .map_err(|tuple| Error::WriteConflict {
                op: "write",
                tuple,
                reason: "the tuple already exists".into(),
            })?;
        Ok(added)
    }

    /// Packs the tuples written since the last bulk load into the packed base (see
    /// [`Engine::bulk_load`]); answers do not change.
    pub fn compact(&mut self) -> Result<(), Error> {
        self.bulk_load(std::iter::empty())?;
        Ok(())
    }

    /// Validates tuples against the model as [`Engine::write`] would (2027), without
    /// writing them or judging conflicts.
    pub(crate) fn validate_writes(&self, writes: &[TupleKey]) -> Result<(), Error> {
        for key in writes {
            validate_tuple(&self.ts, key)?;
        }
        Ok(())
    }

    /// Reads the stored tuples matching a filter.
    pub fn read(&self, filter: &ReadFilter) -> Vec<TupleKey> {
        let (object_type, object_id) = match filter.object.as_deref() {
            Some(o) => match o.split_once(':') {
                Some((t, "")) => (Some(t), None),
                Some((t, id)) => (Some(t), Some(id)),
                None => (Some(o), None),
            },
            None => (None, None),
        };
        let by_user;
        let candidates: Box<dyn Iterator<Item = crate::store::index::TupleView<'_>>> =
            match filter.user.as_deref().map(User::parse) {
                Some(Ok(user)) => {
                    let (t, id, r) = match &user {
                        User::Object(o) => (o.type_name.as_str(), o.id.as_str(), None),
                        User::Wildcard(t) => (t.as_str(), "*", None),
                        User::Userset(o, r) => {
                            (o.type_name.as_str(), o.id.as_str(), Some(r.as_str()))
                        }
                    };
                    by_user = self.tuples.by_user(t, id, r);
                    Box::new(by_user.into_iter())
                }
                Some(Err(_)) => return Vec::new(),
                None => Box::new(self.tuples.iter()),
            };
        let mut out: Vec<TupleKey> = candidates
            .filter(|t| object_type.is_none_or(|ot| t.object_type() == ot))
            .filter(|t| object_id.is_none_or(|oid| t.object_id() == oid))
            .filter(|t| filter.relation.as_deref().is_none_or(|r| t.relation() == r))
            .map(|t| t.to_key())
            .filter(|k| filter.user.as_deref().is_none_or(|u| k.user == u))
            .collect();
        out.sort_by(|a, b| {
            (&a.object, &a.relation, &a.user).cmp(&(&b.object, &b.relation, &b.user))
        });
        out
    }

    /// The contextual tuples of a request, validated like writes (2027); `None` when
    /// there are none.
    fn contextual(&self, tuples: &[TupleKey]) -> Result<Option<TupleIndex>, Error> {
        if tuples.is_empty() {
            return Ok(None);
        }
        let mut index = TupleIndex::default();
        for key in tuples {
            let v = validate_tuple(&self.ts, key)?;
            index.insert(NewTuple {
                object: &v.object,
                relation: &v.relation,
                user: &v.user,
                condition: v.condition,
            });
        }
        Ok(Some(index))
    }

    fn eval<'a>(
        &'a self,
        contextual: Option<&'a TupleIndex>,
        context: Option<&'a crate::tuple::Context>,
    ) -> Eval<'a> {
        let sources = Sources {
            stored: &self.tuples,
            contextual,
        };
        Eval::new(&self.ts, sources, context)
    }

    /// Check: whether the user has the relation on the object.
    pub fn check(&self, request: &CheckRequest) -> Result<bool, Error> {
        self.check_with(request, None)
    }

    /// A stored, unconditional tuple granting the relation directly, when the relation's
    /// rewrite makes a direct grant sufficient (`[..]` alone or in a top-level union):
    /// then the full evaluation would answer true as well. Nothing is parsed or copied:
    /// a stored tuple's strings were validated when it was written.
    fn direct_grant(&self, request: &CheckRequest) -> bool {
        if !request.contextual_tuples.is_empty() {
            return false;
        }
        let (Some((t, id)), Some((ut, uid))) = (
            text::split_once(&request.object, b':'),
            text::split_once(&request.user, b':'),
        ) else {
            return false;
        };
        // A wildcard or a userset is not a plain user.
        if uid == "*" || text::has_byte(uid, b'#') {
            return false;
        }
        self.ts
            .relation(t, &request.relation)
            .is_some_and(|info| info.direct_sufficient && info.allows_plain(ut))
            && self
                .tuples
                .has_unconditional((t, id), &request.relation, (ut, uid, None))
                == Some(true)
    }

    fn check_with(&self, request: &CheckRequest, memo: Option<&eval::Memo>) -> Result<bool, Error> {
        if self.direct_grant(request) {
            return Ok(true);
        }
        let (t, id) = split_object(&request.object)?;
        let user = UserRef::parse(&request.user)?;
        self.ts
            .require(t, &request.relation)
            .map_err(|e| Error::Validation(e.to_string()))?;
        self.validate_user(user)
            .map_err(|e| Error::Validation(e.to_string()))?;
        let contextual = self.contextual(&request.contextual_tuples)?;
        let mut eval = self.eval(contextual.as_ref(), request.context.as_ref());
        if contextual.is_none() {
            eval.memo = memo;
        }
        eval.check(t, id, &request.relation, user)
    }

    /// Check for a request whose user's objects of the requested type and relation are
    /// known (`allowed`, by id symbol): the validations of [`Self::check_with`] that
    /// depend on the object and relation, then membership. Only for requests without
    /// contextual tuples whose user parses and fits the model (checked once per user by
    /// the caller). A direct grant needs no look-up of its own: it is among `allowed`.
    fn check_known(
        &self,
        request: &CheckRequest,
        allowed: &hashbrown::HashSet<crate::store::index::Sym>,
    ) -> Result<bool, Error> {
        let (t, id) = split_object(&request.object)?;
        self.ts
            .require(t, &request.relation)
            .map_err(|e| Error::Validation(e.to_string()))?;
        Ok(self
            .tuples
            .object_syms(t, id)
            .is_some_and(|(_, id)| allowed.contains(&id)))
    }

    /// Whether a user parses and fits the model, as Check requires.
    fn user_fits(&self, user: &str) -> bool {
        UserRef::parse(user).is_ok_and(|u| self.validate_user(u).is_ok())
    }

    /// BatchCheck: each item gets exactly the result its own Check would. Identical
    /// checks are answered once; the checks of one user (same user and context, no
    /// contextual tuples) share sub-results, such as the user's access to a folder many
    /// candidate documents sit in; large batches are spread over the available cores.
    pub fn batch_check(&self, items: &[BatchCheckItem]) -> Vec<BatchCheckResult> {
        batch::answers(self, items)
            .into_iter()
            .zip(items)
            .map(|(result, item)| BatchCheckResult {
                correlation_id: item.correlation_id.clone(),
                result,
            })
            .collect()
    }

    fn validate_user(&self, user: UserRef<'_>) -> Result<(), Error> {
        match user {
            UserRef::Userset(t, _, r) => {
                self.ts.require(t, r)?;
            }
            other => {
                if !self.ts.has_type(other.type_name()) {
                    return Err(Error::TypeNotFound(other.type_name().to_owned()));
                }
            }
        }
        Ok(())
    }

    /// ListObjects: every object of the type the user has the relation on, sorted.
    /// Nothing is silently cut: when `limit` cuts the list, `truncated` is set.
    pub fn list_objects(&self, request: &ListObjectsRequest) -> Result<ListObjectsResponse, Error> {
        let mut all = BTreeSet::new();
        let unlimited = ListObjectsRequest {
            limit: None,
            ..request.clone()
        };
        self.list_objects_each(&unlimited, |object| {
            all.insert(object);
            ControlFlow::Continue(())
        })?;
        let mut objects: Vec<String> = all.into_iter().collect();
        let mut truncated = false;
        if let Some(limit) = request.limit
            && objects.len() > limit
        {
            objects.truncate(limit);
            truncated = true;
        }
        Ok(ListObjectsResponse { objects, truncated })
    }

    /// ListObjects, streamed: each object (`type:id`) the user has the relation on is
    /// handed to `each` as soon as it is confirmed, in no particular order, with no cap
    /// on how many; the stream ends when `each` breaks or after `request.limit` objects.
    /// Returns how many objects were handed over. The checks of the candidates share
    /// sub-results (a folder many candidate documents sit in is resolved once).
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use fga_core::{Engine, ListObjectsRequest, TupleKey};
    ///
    /// let mut engine = Engine::from_dsl(
    ///     "model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]\n",
    /// )?;
    /// engine.write(&[TupleKey::new("doc:a", "viewer", "user:ann"), TupleKey::new("doc:b", "viewer", "user:ann")], &[])?;
    /// let request = ListObjectsRequest {
    ///     object_type: "doc".into(),
    ///     relation: "viewer".into(),
    ///     user: "user:ann".into(),
    ///     limit: Some(1),
    ///     ..ListObjectsRequest::default()
    /// };
    /// let mut seen = Vec::new();
    /// let n = engine.list_objects_each(&request, |object| {
    ///     seen.push(object);
    ///     ControlFlow::Continue(())
    /// })?;
    /// assert_eq!((n, seen.len()), (1, 1));
    /// # Ok::<(), fga_core::Error>(())
    /// ```
    pub fn list_objects_each(
        &self,
        request: &ListObjectsRequest,
        mut each: impl FnMut(String) -> ControlFlow<()>,
    ) -> Result<usize, Error> {
        self.ts.require(&request.object_type, &request.relation)?;
        let user = User::parse(&request.user)?;
        self.validate_user(user.as_ref())
            .map_err(|e| Error::Validation(e.to_string()))?;
        let contextual = self.contextual(&request.contextual_tuples)?;
        let mut handed = 0usize;
        if request.limit == Some(0) {
            return Ok(0);
        }
        if let Some((plan, user)) = self.reverse_plan(
            &request.object_type,
            &request.relation,
            &user,
            contextual.is_some(),
        ) {
            reverse::expand(&plan, &self.tuples, user, usize::MAX, &mut |t, id| {
                handed += 1;
                let flow = each(format!(
                    "{}:{}",
                    request.object_type,
                    self.tuples.resolve_id(t, id)
                ));
                if request.limit.is_some_and(|limit| handed >= limit) {
                    ControlFlow::Break(())
                } else {
                    flow
                }
            });
            return Ok(handed);
        }
        let memo = eval::Memo::default();
        let mut eval = self.eval(contextual.as_ref(), request.context.as_ref());
        if contextual.is_none() {
            eval.memo = Some(&memo);
        }
        list::each_object(
            &eval,
            &request.object_type,
            &request.relation,
            &user,
            &mut |id| {
                handed += 1;
                let flow = each(format!("{}:{id}", request.object_type));
                if request.limit.is_some_and(|limit| handed >= limit) {
                    ControlFlow::Break(())
                } else {
                    flow
                }
            },
        )?;
        Ok(handed)
    }

    /// The reverse expansion plan of `type#relation` for `user`, when it gives exactly
    /// the answers of Check (see [`reverse`]): a plain object user, no contextual tuples,
    /// no conditioned tuple in the store, and rules that only add access.
    fn reverse_plan<'s, 'u>(
        &'s self,
        object_type: &'s str,
        relation: &'s str,
        user: &'u User,
        contextual: bool,
    ) -> Option<(reverse::Plan<'s>, (&'u str, &'u str))> {
        let User::Object(o) = user else {
            return None;
        };
        if contextual || self.tuples.has_conditions() {
            return None;
        }
        let plan = reverse::Plan::new(&self.ts, object_type, relation)?;
        Some((plan, (o.type_name.as_str(), o.id.as_str())))
    }

    /// ListUsers: every user matching a filter that has the relation on the object,
    /// including wildcards (`user:*`) and usersets for `type#relation` filters; sorted.
    pub fn list_users(&self, request: &ListUsersRequest) -> Result<Vec<String>, Error> {
        let object = ObjectRef::parse(&request.object)?;
        self.ts.require(&object.type_name, &request.relation)?;
        let mut filters = Vec::new();
        for f in &request.user_filters {
            let (t, r) = match f.split_once('#') {
                Some((t, r)) => (t, Some(r.to_owned())),
                None => (f.as_str(), None),
            };
            match &r {
                Some(r) => {
                    self.ts.require(t, r)?;
                }
                None if !self.ts.has_type(t) => return Err(Error::TypeNotFound(t.to_owned())),
                None => {}
            }
            filters.push((t.to_owned(), r));
        }
        if filters.is_empty() {
            return Err(Error::Validation(
                "at least one user filter is required".into(),
            ));
        }
        let contextual = self.contextual(&request.contextual_tuples)?;
        let eval = self.eval(contextual.as_ref(), request.context.as_ref());
        let users: BTreeSet<String> =
            list::list_users(&eval, &object, &request.relation, &filters)?
                .into_iter()
                .map(|u| u.to_string())
                .collect();
        Ok(users.into_iter().collect())
    }

    /// Expand: the userset tree of a relation on an object, one level deep.
    pub fn expand(
        &self,
        object: &str,
        relation: &str,
        contextual_tuples: &[TupleKey],
    ) -> Result<UsersetTree, Error> {
        let object = ObjectRef::parse(object)?;
        self.ts.require(&object.type_name, relation)?;
        let contextual = self.contextual(contextual_tuples)?;
        let eval = self.eval(contextual.as_ref(), None);
        Ok(expand::expand(&eval, &object, relation))
    }
}
