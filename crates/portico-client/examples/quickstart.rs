//! Loads a customer into Portico and sends them to the portal:
//! `cargo run -p portico-client --example quickstart -- http://127.0.0.1:8080 portico_sk_…`

use portico_client::model::{NewCustomer, NewPortalSession, PortalPage};
use portico_client::{Client, Currency, CustomerFilter, Error};

/// Creates (or finds) the customer `wayne` and returns a portal link to its invoices.
pub async fn quickstart(base_url: &str, api_key: &str) -> Result<String, Error> {
    let client = Client::new(base_url, api_key)?;
    let customer = match client.customers().get("wayne").await {
        Ok(customer) => customer,
        Err(e) if e.is_not_found() => {
            client
                .customers()
                .create(&NewCustomer {
                    alias: Some("wayne".into()),
                    name: "Wayne Enterprises".into(),
                    email: Some("ap@wayne.example".into()),
                    currency: Currency::parse("currency", "USD")
                        .map_err(|e| Error::Config(e.to_string()))?,
                    address: Default::default(),
                    tax_id: None,
                    invoice_recipients: Vec::new(),
                    portal_enabled: true,
                    metadata: Default::default(),
                    test_clock: None,
                })
                .await?
        }
        Err(e) => return Err(e),
    };
    let everyone = client
        .customers()
        .pages(CustomerFilter::default())
        .all()
        .await?;
    println!("{} customers, among them {}", everyone.len(), customer.name);
    let session = client
        .portal_sessions()
        .create(&NewPortalSession {
            customer: customer.id.to_string(),
            page: Some(PortalPage::Invoices),
            return_url: Some("https://app.example.com/billing".into()),
            ..Default::default()
        })
        .await?;
    Ok(session.url)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(base_url), Some(api_key)) = (args.next(), args.next()) else {
        return Err("usage: quickstart BASE_URL API_KEY".into());
    };
    println!("{}", quickstart(&base_url, &api_key).await?);
    Ok(())
}
