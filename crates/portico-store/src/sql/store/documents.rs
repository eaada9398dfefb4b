//! What invoices print besides their own record: the parties at issue, and the account's logo.

use super::*;

/// Keeps what an invoice shows of its parties, once, when it is issued: the customer's billing
/// details and the account's settings as they are in this transaction. A later call for the
/// same invoice changes nothing, so edits after issue never reach an issued document.
pub(in crate::sql) async fn keep_issued_parties(
    conn: &mut Conn,
    account: &AccountId,
    invoice: &Invoice,
) -> StoreResult<()> {
    let Some(issued_at) = invoice.issued_at else {
        return Ok(());
    };
    query(
        "INSERT INTO invoice_documents (invoice_id, account_id, customer_name, customer_email, \
         customer_address, customer_tax_id, customer_invoice_recipients, settings, created_at) \
         SELECT $2, c.account_id, c.name, c.email, c.address, c.tax_id, c.invoice_recipients, \
         a.settings, $4 \
         FROM customers c JOIN accounts a ON a.id = c.account_id \
         WHERE c.account_id = $1 AND c.id = $3 \
         ON CONFLICT (invoice_id) DO NOTHING",
        params![account, invoice.id.as_str(), &invoice.customer, issued_at],
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets them with the invoice (only drafts, which have none, are ever deleted).
pub(in crate::sql) async fn forget_issued_parties(
    conn: &mut Conn,
    account: &AccountId,
    invoice: &InvoiceId,
) -> StoreResult<()> {
    query(
        "DELETE FROM invoice_documents WHERE account_id = $1 AND invoice_id = $2",
        params![account, invoice.as_str()],
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl DocumentStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn issued_parties(
        &self,
        account: &AccountId,
        invoice: &InvoiceId,
    ) -> StoreResult<Option<IssuedParties>> {
        query(
            "SELECT customer_name, customer_email, customer_address, customer_tax_id, \
             customer_invoice_recipients, settings FROM invoice_documents WHERE account_id = $1 AND invoice_id = $2",
            params![account, invoice.as_str()],
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|row| {
            Ok(IssuedParties {
                customer_name: row.text("customer_name")?,
                customer_email: row.opt_text("customer_email")?,
                customer_address: row.json("customer_address")?,
                customer_tax_id: row.opt_text("customer_tax_id")?,
                customer_invoice_recipients: row.json("customer_invoice_recipients")?,
                settings: row.json("settings")?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn invoice_logo(&self, account: &AccountId) -> StoreResult<Option<InvoiceLogo>> {
        query(
            "SELECT content_type, data FROM invoice_logos WHERE account_id = $1",
            params![account],
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|row| {
            Ok(InvoiceLogo {
                content_type: row.text("content_type")?,
                data: row.bytes("data")?.unwrap_or_default(),
            })
        })
        .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_invoice_logo(
        &self,
        account: &AccountId,
        logo: Option<&InvoiceLogo>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let statement = match logo {
            Some(logo) => query(
                "INSERT INTO invoice_logos (account_id, content_type, data, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE SET \
                 content_type = excluded.content_type, data = excluded.data, \
                 updated_at = excluded.updated_at",
                params![
                    account,
                    logo.content_type.as_str(),
                    Value::Bytes(logo.data.clone()),
                    now
                ],
            ),
            None => query(
                "DELETE FROM invoice_logos WHERE account_id = $1",
                params![account],
            ),
        };
        statement.execute(&self.pool).await?;
        Ok(())
    }
}
