//! Customers and their contacts, as pages and the API read them.

use super::*;

#[async_trait]
impl CustomerStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn customer(&self, account: &AccountId, customer: &CustomerRef) -> StoreResult<Customer> {
        let key = ("customer", customer_ref_key(account, customer));
        if let Some(found) = self.cache.get::<Customer>(&key) {
            return Ok(found);
        }
        let token = self.cache.fill_token();
        let mut conn = self.pool.read().await?;
        let found = find_customer(&mut conn, account, customer, "")
            .await?
            .ok_or_else(|| StoreError::not_found("customer", customer))?;
        drop(conn);
        let scope = Change::customer(account, &found.id);
        // Read by alias, it is kept under its id too: issuance names the customer by alias and
        // the portal session it stores names it by id, checked right after. One scope drops both.
        if let CustomerRef::Alias(_) = customer {
            let by_id = customer_ref_key(account, &CustomerRef::Id(found.id.clone()));
            let (value, scope) = (found.clone(), scope.clone());
            self.cache
                .put(token, ("customer", by_id), scope, CACHE_TTL, value);
        }
        self.cache.put(token, key, scope, CACHE_TTL, found.clone());
        Ok(found)
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_customers(
        &self,
        account: &AccountId,
        email: Option<&str>,
        page: PageRequest<CustomerId>,
    ) -> StoreResult<List<Customer>> {
        let filters = email.map(|e| ("email", e.into())).into_iter().collect();
        self.list(
            &CUSTOMERS,
            account,
            filters,
            page.limit,
            cursor(&page),
            rows::customer,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn contact(&self, account: &AccountId, contact: &ContactRef) -> StoreResult<Contact> {
        let load = async {
            let mut conn = self.pool.read().await?;
            find_contact(&mut conn, account, contact).await
        };
        let key = match contact {
            ContactRef::Id(id) => ("contact", format!("{account}/id:{id}")),
            ContactRef::ExternalId(x) => ("contact", format!("{account}/external:{x}")),
        };
        let scope = |c: &Contact| Change::customer(account, &c.customer);
        self.cached(key, CACHE_TTL, scope, load).await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_contacts(
        &self,
        account: &AccountId,
        customer: Option<&CustomerRef>,
        page: PageRequest<ContactId>,
    ) -> StoreResult<List<Contact>> {
        let mut filters = vec![];
        if let Some(customer) = customer {
            let mut conn = self.pool.read().await?;
            let id = self.customer_id_of(&mut conn, account, customer).await?;
            filters.push(("customer_id", Value::from(&id)));
        }
        self.list(
            &CONTACTS,
            account,
            filters,
            page.limit,
            cursor(&page),
            rows::contact,
        )
        .await
    }
}
