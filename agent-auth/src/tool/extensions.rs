//! A typed map where layers put what they add to a call (approved tokens, a
//! vault credential). One value per type; values are shared, so a call clones
//! cheaply (for a retry).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

/// What layers added to a call, one value per type.
#[derive(Clone, Default)]
pub struct Extensions {
    map: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for Extensions {
    // Values may be credentials: only their number is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.map.len())
            .finish()
    }
}

impl Extensions {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts `value` in, replacing (and returning) the value of the same type:
    /// the innermost layer's value wins.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> Option<Arc<T>> {
        self.map
            .insert(TypeId::of::<T>(), Arc::new(value))
            .and_then(|old| old.downcast::<T>().ok())
    }

    /// The value of type `T`, if a layer put one in.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.map.get(&TypeId::of::<T>())?.downcast_ref::<T>()
    }

    /// Takes the value of type `T` out.
    pub fn remove<T: Send + Sync + 'static>(&mut self) -> Option<Arc<T>> {
        self.map
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast::<T>().ok())
    }

    /// How many values the map holds.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no layer added anything.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::secret::SecretString;

    #[test]
    fn values_are_found_by_type_and_the_latest_wins() {
        let mut ext = Extensions::new();
        assert!(ext.insert(1u32).is_none());
        assert_eq!(ext.insert(2u32).as_deref(), Some(&1));
        ext.insert("text");
        assert_eq!(ext.get::<u32>(), Some(&2));
        assert_eq!(ext.get::<&str>(), Some(&"text"));
        assert_eq!(ext.remove::<u32>().as_deref(), Some(&2));
        assert!(ext.get::<u32>().is_none());
        assert_eq!(ext.len(), 1);
    }

    #[test]
    fn debug_never_shows_a_stored_secret() {
        let mut ext = Extensions::new();
        ext.insert(SecretString::new("hunter2-token-value"));
        let shown = format!("{ext:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
