//! Pending CIBA requests in PostgreSQL: an agent replica resumes, from the
//! shared database, the request another replica started, against our reference
//! OP over loopback HTTP.
#![cfg(feature = "postgres")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use ciba_client::client::{PendingStore, PgPendingStore};
use ciba_client::{AuthenticationRequest, CibaClient, ClientAuth, DeliveryMode, Hint};
use reference_authority::ciba::Approval;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_resumes_a_pending_request_from_postgres() {
    let Some(db) = pg_store::testing::fresh_database("ciba_pending").unwrap() else {
        return;
    };
    let mut s = common::serve(DeliveryMode::Poll, None, 1).await;
    let store: Arc<dyn PendingStore> = Arc::new(PgPendingStore::open(db.pool().unwrap()).unwrap());
    let first = CibaClient::builder(
        s.endpoints(),
        ClientAuth::secret_basic("sales-agent", common::SECRET),
    )
    .store(Arc::clone(&store))
    .id_token_validator(s.id_tokens())
    .build();
    let request = AuthenticationRequest::new(Hint::LoginHint("sarah".into()))
        .scope(["email:send"])
        .binding_message("Send the proposal");
    let _pending = first.start(request).await.unwrap();
    drop(first);
    let ask = s.device.recv().await.unwrap();
    s.op.approve(&ask.approval_id, Approval::all())
        .await
        .unwrap();

    // The other replica: its own pool on the same database.
    let store: Arc<dyn PendingStore> = Arc::new(PgPendingStore::open(db.pool().unwrap()).unwrap());
    let second = CibaClient::builder(
        s.endpoints(),
        ClientAuth::secret_basic("sales-agent", common::SECRET),
    )
    .store(Arc::clone(&store))
    .id_token_validator(s.id_tokens())
    .build();
    let resumed = second.resume().unwrap();
    assert_eq!(resumed.len(), 1);
    assert!(resumed[0].wait().await.approved().is_some());
    assert!(
        store.list().unwrap().is_empty(),
        "a finished request leaves the store"
    );
}
