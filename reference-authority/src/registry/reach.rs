//! What the authority's records let each client reach, indexed both ways:
//! the resources it registered (RFC 8707 resource indicators) and what users
//! consented to for it. The provider keeps it current as clients are
//! registered and consents are given or withdrawn; the dependency map joins
//! it with the agents' clients.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Clients' reach from the authority's records.
#[derive(Debug, Default)]
pub(crate) struct ClientReach {
    /// Client -> the resources it registered.
    registered: HashMap<String, Vec<String>>,
    /// Client -> user -> the resources the user consented to.
    consented: HashMap<String, BTreeMap<String, Vec<String>>>,
    /// Client -> resource servers it reaches (registered or consented).
    apis: HashMap<String, BTreeSet<String>>,
    /// Resource server -> clients reaching it.
    api_clients: HashMap<String, BTreeSet<String>>,
    /// User -> clients they consented to.
    user_clients: HashMap<String, BTreeSet<String>>,
}

impl ClientReach {
    /// Records what a client registered.
    pub(crate) fn set_registered(&mut self, client: &str, resources: &[String]) {
        self.registered
            .insert(client.to_owned(), resources.to_vec());
        self.reindex(client);
    }

    /// Records a user's consent to a client (`None`: withdrawn).
    pub(crate) fn set_consent(&mut self, user: &str, client: &str, resources: Option<&[String]>) {
        match resources {
            Some(r) => {
                self.consented
                    .entry(client.to_owned())
                    .or_default()
                    .insert(user.to_owned(), r.to_vec());
                self.user_clients
                    .entry(user.to_owned())
                    .or_default()
                    .insert(client.to_owned());
            }
            None => {
                if let Some(users) = self.consented.get_mut(client) {
                    users.remove(user);
                    if users.is_empty() {
                        self.consented.remove(client);
                    }
                }
                if let Some(clients) = self.user_clients.get_mut(user) {
                    clients.remove(client);
                    if clients.is_empty() {
                        self.user_clients.remove(user);
                    }
                }
            }
        }
        self.reindex(client);
    }

    /// Recomputes the resource servers of one client, both ways.
    fn reindex(&mut self, client: &str) {
        if let Some(old) = self.apis.remove(client) {
            for api in old {
                if let Some(clients) = self.api_clients.get_mut(&api) {
                    clients.remove(client);
                    if clients.is_empty() {
                        self.api_clients.remove(&api);
                    }
                }
            }
        }
        let mut apis: BTreeSet<String> = self
            .registered
            .get(client)
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default();
        if let Some(users) = self.consented.get(client) {
            apis.extend(users.values().flatten().cloned());
        }
        for api in &apis {
            self.api_clients
                .entry(api.clone())
                .or_default()
                .insert(client.to_owned());
        }
        if !apis.is_empty() {
            self.apis.insert(client.to_owned(), apis);
        }
    }

    /// The resource servers a client reaches.
    pub(crate) fn apis_of(&self, client: &str) -> impl Iterator<Item = &String> {
        self.apis.get(client).into_iter().flatten()
    }

    /// The users who consented to a client.
    pub(crate) fn users_of(&self, client: &str) -> impl Iterator<Item = &String> {
        self.consented
            .get(client)
            .into_iter()
            .flat_map(|u| u.keys())
    }

    /// The clients reaching a resource server.
    pub(crate) fn clients_of_api(&self, api: &str) -> impl Iterator<Item = &String> {
        self.api_clients.get(api).into_iter().flatten()
    }

    /// The clients a user consented to.
    pub(crate) fn clients_of_user(&self, user: &str) -> impl Iterator<Item = &String> {
        self.user_clients.get(user).into_iter().flatten()
    }
}
