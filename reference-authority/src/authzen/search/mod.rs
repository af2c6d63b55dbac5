//! The Search APIs (AuthZEN 1.0 section 8): candidates of the directory,
//! each evaluated through the PDP's sources, returned a page at a time.

mod page_token;

use super::pdp::Pdp;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use agent_auth::authzen::{
    Action, ActionSearch, EvaluationRequest, PageInfo, PageRequest, RequestError, Resource,
    ResourceSearch, SearchResponse, Subject, SubjectSearch,
};

/// The largest page a search returns, whatever `page.limit` asks.
pub const MAX_PAGE: usize = 1000;

impl Pdp {
    /// Subject Search: the directory's subjects of the asked type that may do
    /// the action on the resource. An unknown type yields no results (C.4.6).
    pub async fn search_subjects(
        &self,
        search: &SubjectSearch,
    ) -> Result<SearchResponse<Subject>, RequestError> {
        let fingerprint = page_token::fingerprint(
            "subject",
            &(
                &search.subject_type,
                &search.action,
                &search.resource,
                &search.context,
            ),
        );
        let candidates = self.inner.directory.subjects_of(&search.subject_type);
        let found = self
            .permitted(candidates, |subject| EvaluationRequest {
                subject: subject.clone(),
                action: search.action.clone(),
                resource: search.resource.clone(),
                context: search.context.clone(),
            })
            .await
            .map(|c| Subject::new(&c.kind, &c.id))
            .collect::<Vec<_>>();
        self.audit_search("subject", found.len());
        page(found, &search.page, &fingerprint)
    }

    /// Resource Search: the directory's resources of the asked type the
    /// subject may do the action on.
    pub async fn search_resources(
        &self,
        search: &ResourceSearch,
    ) -> Result<SearchResponse<Resource>, RequestError> {
        let fingerprint = page_token::fingerprint(
            "resource",
            &(
                &search.subject,
                &search.action,
                &search.resource_type,
                &search.context,
            ),
        );
        let candidates = self.inner.directory.resources_of(&search.resource_type);
        let found = self
            .permitted(candidates, |resource| EvaluationRequest {
                subject: search.subject.clone(),
                action: search.action.clone(),
                resource: resource.clone(),
                context: search.context.clone(),
            })
            .await
            .map(|c| Resource::new(&c.kind, &c.id))
            .collect::<Vec<_>>();
        self.audit_search("resource", found.len());
        page(found, &search.page, &fingerprint)
    }

    /// Action Search: the directory's actions the subject may do on the resource.
    pub async fn search_actions(
        &self,
        search: &ActionSearch,
    ) -> Result<SearchResponse<Action>, RequestError> {
        let fingerprint = page_token::fingerprint(
            "action",
            &(&search.subject, &search.resource, &search.context),
        );
        let candidates = self.inner.directory.actions();
        let found = self
            .permitted(candidates, |action| EvaluationRequest {
                subject: search.subject.clone(),
                action: action.clone(),
                resource: search.resource.clone(),
                context: search.context.clone(),
            })
            .await
            .map(|c| Action::new(&c.name))
            .collect::<Vec<_>>();
        self.audit_search("action", found.len());
        page(found, &search.page, &fingerprint)
    }

    /// The candidates whose question, as `question` asks it, the sources
    /// permit (without auditing each: the search is audited once).
    async fn permitted<'a, T: 'a>(
        &self,
        candidates: impl IntoIterator<Item = &'a T>,
        question: impl Fn(&T) -> EvaluationRequest,
    ) -> impl Iterator<Item = &'a T> {
        let mut kept = Vec::new();
        for candidate in candidates {
            if self.outcome(&question(candidate)).await.permitted() {
                kept.push(candidate);
            }
        }
        kept.into_iter()
    }

    fn audit_search(&self, kind: &str, results: usize) {
        if self.inner.audit.enabled() {
            let event = AuditEvent::new(
                self.inner.clock.now(),
                AuditAction::AuthorizationDecision,
                Outcome::Success,
            )
            .reason(format!("{kind} search"))
            .detail("api", "authzen")
            .detail("results", results);
            self.inner.audit.record(&event);
        }
    }
}

/// One page of `all`: from the token's offset, at most `limit` (or
/// [`MAX_PAGE`]) results; `next_token` is empty on the last page.
fn page<T>(
    all: Vec<T>,
    request: &PageRequest,
    fingerprint: &str,
) -> Result<SearchResponse<T>, RequestError> {
    let total = all.len();
    let offset = match &request.token {
        Some(token) => page_token::offset(token, fingerprint)?,
        None => 0,
    };
    if offset > total {
        return Err(RequestError::PageToken);
    }
    let limit = request
        .limit
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(MAX_PAGE)
        .min(MAX_PAGE);
    let results: Vec<T> = all.into_iter().skip(offset).take(limit).collect();
    let end = offset.saturating_add(results.len());
    let next_token = if end < total {
        page_token::token(end, fingerprint)
    } else {
        String::new()
    };
    Ok(SearchResponse {
        page: Some(PageInfo {
            next_token,
            count: Some(results.len()),
            total: Some(total),
        }),
        results,
    })
}
