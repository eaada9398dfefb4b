//! Contacts: the people of a customer who may enter the portal.

use portico_core::event::EventType;
use portico_core::model::{Contact, ContactPatch, ContactRef, NewContact};
use portico_core::{ContactId, Timestamp};

use crate::{App, AppError, AppResult, Caller, body_customer, entropy};

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create(
    app: &App,
    by: &Caller,
    input: NewContact,
    now: Timestamp,
) -> AppResult<Contact> {
    let input = input.validate()?;
    let mut uow = app.begin(by, now).await?;
    let customer = body_customer(&mut uow, &input.customer).await?;
    let contact = Contact {
        id: ContactId::new(now, entropy()),
        customer: customer.id,
        external_id: input.external_id,
        email: input.email,
        name: input.name,
        portal_access: input.portal_access,
        role: input.role,
        created_at: now,
        updated_at: now,
    };
    uow.contacts().insert(&contact).await?;
    uow.record(EventType::ContactCreated, Some(&contact.customer), &contact)?;
    uow.commit().await?;
    Ok(contact)
}

/// Taking portal access away ends the contact's portal sessions for good.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update(
    app: &App,
    by: &Caller,
    contact: &ContactRef,
    patch: ContactPatch,
    now: Timestamp,
) -> AppResult<Contact> {
    let mut uow = app.begin(by, now).await?;
    let current = lock(&mut uow, contact).await?;
    let had_access = current.portal_access;
    let updated = patch.apply(current, now)?;
    uow.contacts().save(&updated).await?;
    if had_access && !updated.portal_access {
        uow.contacts().end_portal_sessions(&updated, now).await?;
    }
    uow.record(EventType::ContactUpdated, Some(&updated.customer), &updated)?;
    uow.commit().await?;
    Ok(updated)
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn delete(
    app: &App,
    by: &Caller,
    contact: &ContactRef,
    now: Timestamp,
) -> AppResult<Contact> {
    let mut uow = app.begin(by, now).await?;
    let mut deleted = lock(&mut uow, contact).await?;
    // Its portal sessions end with it, each saying so, as when its access is switched off.
    uow.contacts().end_portal_sessions(&deleted, now).await?;
    uow.contacts().delete(&deleted, now).await?;
    deleted.updated_at = now;
    uow.record(EventType::ContactDeleted, Some(&deleted.customer), &deleted)?;
    uow.commit().await?;
    Ok(deleted)
}

async fn lock(uow: &mut portico_store::UnitOfWork, contact: &ContactRef) -> AppResult<Contact> {
    uow.contacts().lock(contact).await?.ok_or_else(|| {
        let text = match contact {
            ContactRef::Id(id) => id.as_str(),
            ContactRef::ExternalId(x) => x,
        };
        AppError::not_found("contact", text)
    })
}
