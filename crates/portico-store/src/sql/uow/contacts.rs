//! Contacts: the people of a customer who may enter the portal.

use portico_core::model::{Contact, ContactRef};
use portico_core::{ContactId, Timestamp};

use super::UnitOfWork;
use crate::sql::rows::{self, CONTACTS};
use crate::sql::statements::{
    external_id_exists, find_contact, insert, locked_child, no_account, revoke_live_sessions, save,
    soft_delete,
};
use crate::sql::write_error;
use crate::{StoreError, StoreResult};

pub struct Contacts<'u>(pub(super) &'u mut UnitOfWork);

impl Contacts<'_> {
    /// A live contact by id or external id, locked (after its customer) until the unit ends.
    pub async fn lock(&mut self, contact: &ContactRef) -> StoreResult<Option<Contact>> {
        let (conn, backend, account) = self.0.parts();
        let id = match find_contact(conn, account, contact).await {
            Ok(found) => found.id,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        locked_child(
            conn,
            backend,
            &CONTACTS,
            account,
            id.as_str(),
            rows::contact,
        )
        .await
    }

    /// A new contact of a customer the caller has locked; its external id must be free.
    pub async fn insert(&mut self, contact: &Contact) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        insert(conn, &CONTACTS, account, rows::contact_values(contact))
            .await
            .map_err(|e| write_error(e, || external_id_exists(contact), no_account(account)))?;
        self.0.customer_changed(&contact.customer);
        Ok(())
    }

    pub async fn save(&mut self, contact: &Contact) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        save(conn, &CONTACTS, account, rows::contact_values(contact))
            .await
            .map_err(|e| write_error(e, || external_id_exists(contact), no_account(account)))?;
        self.0.customer_changed(&contact.customer);
        Ok(())
    }

    /// Hides the contact from every lookup and frees its external id.
    pub async fn delete(&mut self, contact: &Contact, now: Timestamp) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        soft_delete(conn, &CONTACTS, account, contact.id.as_str(), now).await?;
        self.0.customer_changed(&contact.customer);
        Ok(())
    }

    /// Ends the contact's live portal sessions for good; returns how many.
    pub async fn end_portal_sessions(
        &mut self,
        contact: &Contact,
        now: Timestamp,
    ) -> StoreResult<u64> {
        let (conn, _, account) = self.0.parts();
        let id: &ContactId = &contact.id;
        let ended = revoke_live_sessions(conn, account, "contact_id", id.as_str(), now).await?;
        self.0.customer_changed(&contact.customer);
        self.0.record_revoked(&ended)
    }
}
