//! One handle per resource of the vendor API, each reached from [`Client`](crate::Client).

pub mod billing;
pub mod catalog;
pub mod credentials;
pub mod customers;
pub mod events;
pub mod portal;
pub mod service;
pub mod webhooks;

/// Declares a resource handle, its accessor on `Client`, and its `idempotency_key` option.
macro_rules! resource {
    ($(#[$doc:meta])* $name:ident, $accessor:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<'a> {
            call: crate::client::Call<'a>,
        }

        impl crate::Client {
            #[doc = concat!("The [`", stringify!($name), "`] of the credential's account.")]
            pub fn $accessor(&self) -> $name<'_> {
                $name {
                    call: crate::client::Call::new(self),
                }
            }
        }

        impl $name<'_> {
            /// Sends `key` as the `Idempotency-Key` of this handle's POSTs, instead of a fresh
            /// random key for each call. A repeat with the same key and body gets the first
            /// answer again (without any secret or token it held); the same key with another
            /// body is a 409 conflict.
            pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
                self.call.idempotency_key = Some(key.into());
                self
            }
        }
    };
}

/// Create, list, get and update of a resource; `delete` when it has one.
macro_rules! crud {
    (
        $handle:ident, $filter:ident, $record:ident, $what:literal,
        create: $create:ident($new:ident),
        get: $get:ident,
        update: $update:ident($patch:ident)
        $(, delete: $delete:ident $delete_doc:literal)? $(,)?
    ) => {
        impl<'a> $handle<'a> {
            #[doc = concat!("Creates a ", $what, ".")]
            pub async fn create(&self, new: &$new) -> crate::Result<$record> {
                self.call.send(crate::operations::$create, &[], new).await
            }

            #[doc = concat!("One page of ", $what, "s, newest first.")]
            pub async fn list(
                &self,
                filter: &crate::page::$filter,
                page: &crate::page::Page,
            ) -> crate::Result<portico_core::List<$record>> {
                crate::page::list(&self.call, filter, page).await
            }

            #[doc = concat!("Every ", $what, " that `filter` lets through, page by page.")]
            pub fn pages(
                &self,
                filter: crate::page::$filter,
            ) -> crate::page::Pager<'a, crate::page::$filter> {
                crate::page::Pager::new(self.call.clone(), filter)
            }

            #[doc = concat!("Gets a ", $what, "; an unknown one is a not-found error.")]
            pub async fn get(&self, id: impl crate::PathId) -> crate::Result<$record> {
                self.call.get(crate::operations::$get, &[id.path_id()], &[]).await
            }

            #[doc = concat!("Changes the fields of a ", $what, " that `patch` sets.")]
            pub async fn update(
                &self,
                id: impl crate::PathId,
                patch: &$patch,
            ) -> crate::Result<$record> {
                self.call.send(crate::operations::$update, &[id.path_id()], patch).await
            }

            $(
                #[doc = $delete_doc]
                pub async fn delete(&self, id: impl crate::PathId) -> crate::Result<$record> {
                    self.call.delete(crate::operations::$delete, &[id.path_id()]).await
                }
            )?
        }
    };
}

pub(crate) use {crud, resource};
