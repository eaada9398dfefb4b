//! Customers (the vendor's paying tenants, by id or alias) and their contacts.

use portico_core::model::{
    Contact, ContactPatch, Customer, CustomerPatch, NewContact, NewCustomer,
};

use super::{crud, resource};

resource!(
    /// Customers, addressed by Portico id (`cus_…`) or by the vendor's alias.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::model::{CustomerPatch, NewCustomer};
    /// use portico_client::{Client, Currency, CustomerFilter, Page};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let customers = client.customers();
    /// let wayne = customers
    ///     .create(&NewCustomer {
    ///         alias: Some("wayne".into()),
    ///         name: "Wayne Enterprises".into(),
    ///         email: Some("ap@wayne.example".into()),
    ///         currency: Currency::parse("currency", "USD")?,
    ///         address: Default::default(),
    ///         tax_id: None,
    ///         invoice_recipients: Vec::new(),
    ///         portal_enabled: true,
    ///         metadata: Default::default(),
    ///         test_clock: None,
    ///     })
    ///     .await?;
    /// let renamed = customers
    ///     .update("wayne", &CustomerPatch {
    ///         name: Some("Wayne Corp".into()),
    ///         ..Default::default()
    ///     })
    ///     .await?;
    /// assert_eq!(renamed.id, wayne.id);
    /// let page = customers.list(&CustomerFilter::default(), &Page::first(10)).await?;
    /// let everyone = customers.pages(CustomerFilter::default()).all().await?;
    /// assert!(everyone.len() >= page.data.len());
    /// customers.delete(&wayne.id).await?;
    /// # Ok(()) }
    /// ```
    Customers,
    customers
);

crud!(
    Customers, CustomerFilter, Customer, "customer",
    create: CUSTOMERS_CREATE(NewCustomer),
    get: CUSTOMERS_GET,
    update: CUSTOMERS_UPDATE(CustomerPatch),
    delete: CUSTOMERS_DELETE
        "Deletes a customer and cancels its live subscriptions; its alias becomes free.",
);

resource!(
    /// Contacts: the people of a customer who may open the portal, by id (`ctc_…`) or
    /// external id.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::model::{ContactPatch, NewContact, Role};
    /// use portico_client::{Client, ContactFilter, Page};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let anna = client
    ///     .contacts()
    ///     .create(&NewContact {
    ///         customer: "wayne".into(),
    ///         external_id: Some("user-anna".into()),
    ///         email: "anna@wayne.example".into(),
    ///         name: Some("Anna".into()),
    ///         portal_access: true,
    ///         role: Role::Billing,
    ///     })
    ///     .await?;
    /// client
    ///     .contacts()
    ///     .update("user-anna", &ContactPatch { role: Some(Role::Viewer), ..Default::default() })
    ///     .await?;
    /// let filter = ContactFilter { customer: Some("wayne".into()) };
    /// let of_wayne = client.contacts().list(&filter, &Page::default()).await?;
    /// assert!(of_wayne.data.iter().any(|c| c.id == anna.id));
    /// # Ok(()) }
    /// ```
    Contacts,
    contacts
);

crud!(
    Contacts, ContactFilter, Contact, "contact",
    create: CONTACTS_CREATE(NewContact),
    get: CONTACTS_GET,
    update: CONTACTS_UPDATE(ContactPatch),
    delete: CONTACTS_DELETE "Deletes a contact.",
);
