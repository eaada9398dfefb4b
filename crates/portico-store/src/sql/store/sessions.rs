//! Portal sessions, the redirect tokens that open them, and the browser sessions they become.

use super::*;

#[async_trait]
impl SessionStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_portal_session(
        &self,
        account: &AccountId,
        session: &PortalSession,
        invalidate_existing: bool,
        origin: Option<&Origin>,
    ) -> StoreResult<()> {
        let account = account.clone();
        let session = session.clone();
        let origin = origin.cloned();
        if invalidate_existing {
            let op = WriteOp::ReplacingPortalSession {
                account,
                session,
                origin,
            };
            return self.writer.write(op).await.map(|_| ());
        }
        // Checked before the group, from the cache: the customer and contact only have to exist
        // and belong together, and neither is ever removed from the database.
        let customer = self
            .customer(&account, &CustomerRef::Id(session.customer.clone()))
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => no_such("customer", "customer", &session.customer),
                e => e,
            })?;
        if let Some(contact_id) = &session.contact {
            let contact = self
                .contact(&account, &ContactRef::Id(contact_id.clone()))
                .await
                .map_err(|e| match e {
                    StoreError::NotFound { .. } => no_such("contact", "contact", contact_id),
                    e => e,
                })?;
            if contact.customer != customer.id {
                return Err(other_customer("contact", "contact", contact_id));
            }
        }
        let op = WriteOp::PortalSession {
            account,
            session,
            origin,
        };
        self.writer.write(op).await.map(|_| ())
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn portal_session(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
    ) -> StoreResult<PortalSession> {
        let load = async {
            let mut conn = self.pool.read().await?;
            stored_portal_session(&mut conn, account, id).await
        };
        // Every change of a portal session (revoking it, or all of its customer's or contact's)
        // announces its customer's scope.
        let scope = |s: &PortalSession| Change::customer(account, &s.customer);
        self.cached(portal_session_key(account, id), CACHE_TTL, scope, load)
            .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_portal_sessions(
        &self,
        account: &AccountId,
        filter: PortalSessionFilter,
        page: PageRequest<PortalSessionId>,
    ) -> StoreResult<List<PortalSession>> {
        let mut filters = vec![];
        if let Some(customer) = &filter.customer {
            filters.push(("customer_id", Value::from(customer)));
        }
        if let Some(contact) = &filter.contact {
            filters.push(("contact_id", Value::from(contact)));
        }
        self.list(
            &rows::PORTAL_SESSIONS,
            account,
            filters,
            page.limit,
            cursor(&page),
            rows::portal_session,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_portal_session(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
        now: Timestamp,
        actor: &Actor,
        origin: Option<&Origin>,
    ) -> StoreResult<PortalSession> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "UPDATE portal_sessions SET revoked_at = $3 \
             WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING {}",
            rows::PORTAL_SESSIONS.columns()
        );
        let revoked = query(&sql, params![account, id, now])
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| rows::portal_session(&row))
            .transpose()?;
        // Revoking twice keeps the first revocation, and its one event.
        let session = match revoked {
            Some(session) => {
                let mut outbox = Outbox::default();
                let kind = EventType::PortalSessionRevoked;
                let customer = Some(&session.customer);
                outbox.record(account, actor, origin, now, kind, customer, &session)?;
                outbox.write(&mut tx).await?;
                session
            }
            None => stored_portal_session(&mut tx, account, id).await?,
        };
        tx.customer_changed(account, &session.customer);
        tx.commit().await?;
        Ok(session)
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn complete_flow(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.mark_once("flow_completed_at", account, id, now).await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn flow_completed(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
    ) -> StoreResult<Option<Timestamp>> {
        // From the database, not the cache: a task done on another node counts at once.
        let row = query(
            "SELECT flow_completed_at FROM portal_sessions WHERE account_id = $1 AND id = $2",
            params![account, id],
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("portal session", id))?;
        row.opt_ts("flow_completed_at")
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn enter_portal_session(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.mark_once("entered_at", account, id, now).await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_customer_portal_sessions(
        &self,
        account: &AccountId,
        customer: &CustomerId,
        now: Timestamp,
        actor: &Actor,
        origin: Option<&Origin>,
    ) -> StoreResult<u64> {
        // A deleted customer still counts: its sessions are what the caller wants ended.
        let mut tx = self.write_tx().await?;
        if !exists(&mut tx, "customers", account, "id", customer.into()).await? {
            return Err(StoreError::not_found("customer", customer));
        }
        let ended =
            revoke_live_sessions(&mut tx, account, "customer_id", customer.as_str(), now).await?;
        let mut outbox = Outbox::default();
        record_revoked(&mut outbox, account, actor, origin, now, &ended)?;
        outbox.write(&mut tx).await?;
        tx.customer_changed(account, customer);
        tx.commit().await?;
        Ok(ended.len() as u64)
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_redirect_token(
        &self,
        account: &AccountId,
        session: &PortalSessionId,
        sha256: &[u8; 32],
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        query(
            "INSERT INTO redirect_tokens (token_sha256, account_id, portal_session_id, \
             expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
            params![rows::hash_text(sha256), account, session, expires_at],
        )
        .execute(&self.pool)
        .await
        .map_err(|e| {
            write_error(
                e,
                || "this redirect token".to_owned(),
                // The composite reference also refuses another account's session.
                |_| StoreError::not_found("portal session", session),
            )
        })?;
        Ok(())
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn consume_redirect_token(
        &self,
        sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<(AccountId, PortalSessionId)>> {
        let op = WriteOp::ConsumeRedirectToken {
            sha256: *sha256,
            now,
        };
        consumed(self.writer.write(op).await?)
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn exchange_redirect_token(
        &self,
        sha256: &[u8; 32],
        now: Timestamp,
        cookie_sha256: [u8; 32],
        csrf_secret: [u8; 32],
        origin: Option<Origin>,
    ) -> StoreResult<Option<(AccountId, PortalSessionId)>> {
        let op = WriteOp::ExchangeRedirectToken {
            sha256: *sha256,
            now,
            cookie_sha256,
            csrf_secret,
            origin,
        };
        consumed(self.writer.write(op).await?)
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn redirect_token(&self, sha256: &[u8; 32]) -> StoreResult<Option<RedirectTokenState>> {
        let row = query(
            "SELECT account_id, portal_session_id, expires_at, used_at FROM redirect_tokens \
             WHERE token_sha256 = $1",
            params![rows::hash_text(sha256)],
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(RedirectTokenState {
                account: r.parsed("account_id")?,
                portal_session: r.parsed("portal_session_id")?,
                expires_at: r.ts("expires_at")?,
                used_at: r.opt_ts("used_at")?,
            })
        })
        .transpose()
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_browser_session(&self, new: &NewBrowserSession) -> StoreResult<()> {
        self.writer
            .write(WriteOp::BrowserSession(new.clone()))
            .await
            .map(|_| ())
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn browser_session(
        &self,
        cookie_sha256: &[u8; 32],
    ) -> StoreResult<Option<BrowserSessionView>> {
        // Read on every portal request; a cookie never issued is not kept.
        let load = async {
            let sql = format!(
                "SELECT {} FROM browser_sessions b \
                 JOIN portal_sessions p ON p.account_id = b.account_id \
                 AND p.id = b.portal_session_id \
                 JOIN customers c ON c.account_id = p.account_id AND c.id = p.customer_id \
                 LEFT JOIN contacts k ON k.account_id = p.account_id AND k.id = p.contact_id \
                 WHERE b.cookie_sha256 = $1",
                rows::browser_session_view_columns()
            );
            query(&sql, params![rows::hash_text(cookie_sha256)])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::browser_session_view(&row))
                .transpose()?
                .ok_or_else(|| StoreError::not_found("browser session", "(cookie)"))
        };
        let scope = |v: &BrowserSessionView| Change::customer(&v.account, &v.session.customer);
        match self
            .cached(browser_key(cookie_sha256), BROWSER_SESSION_TTL, scope, load)
            .await
        {
            Ok(view) => Ok(Some(view)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn touch_browser_session(
        &self,
        cookie_sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<()> {
        let hash = rows::hash_text(cookie_sha256);
        // Never moves backwards when requests finish out of order.
        let done = query(
            "UPDATE browser_sessions SET last_seen_at = $2 \
             WHERE cookie_sha256 = $1 AND last_seen_at < $2",
            params![hash.as_str(), now],
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let found = query(
                "SELECT 1 AS one FROM browser_sessions WHERE cookie_sha256 = $1",
                params![hash.as_str()],
            )
            .fetch_optional(&self.pool)
            .await?;
            if found.is_none() {
                return Err(StoreError::not_found("browser session", "(cookie)"));
            }
        }
        self.cache
            .update::<BrowserSessionView>(&browser_key(cookie_sha256), |v| {
                v.last_seen_at = v.last_seen_at.max(now);
            });
        Ok(())
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn end_browser_session(
        &self,
        cookie_sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<()> {
        // Ending twice keeps the first time.
        let mut tx = self.write_tx().await?;
        let ended = query(
            "UPDATE browser_sessions SET ended_at = COALESCE(ended_at, $2) \
             WHERE cookie_sha256 = $1 \
             RETURNING account_id, (SELECT customer_id FROM portal_sessions p \
             WHERE p.account_id = browser_sessions.account_id \
             AND p.id = browser_sessions.portal_session_id) AS customer_id",
            params![rows::hash_text(cookie_sha256), now],
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("browser session", "(cookie)"))?;
        tx.customer_changed(&ended.parsed("account_id")?, &ended.parsed("customer_id")?);
        tx.commit().await
    }
}

/// The portal session as stored, or `NotFound`.
async fn stored_portal_session(
    conn: &mut Conn,
    account: &AccountId,
    id: &PortalSessionId,
) -> StoreResult<PortalSession> {
    find(
        conn,
        &rows::PORTAL_SESSIONS,
        account,
        id.as_str(),
        "",
        rows::portal_session,
    )
    .await?
    .ok_or_else(|| StoreError::not_found("portal session", id))
}

/// The answer to a write that spends a redirect token.
fn consumed(written: Written) -> StoreResult<Option<(AccountId, PortalSessionId)>> {
    match written {
        Written::Consumed(found) => Ok(found),
        Written::Done | Written::FannedOut(_) => Err(StoreError::Corrupt(
            "the writer answered a consumption without its result".to_owned(),
        )),
    }
}

impl SqlStore {
    /// Sets the session's `column` (a time) to `now` unless it is set; true if this call did.
    async fn mark_once(
        &self,
        column: &str,
        account: &AccountId,
        id: &PortalSessionId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "UPDATE portal_sessions SET {column} = $3 \
             WHERE account_id = $1 AND id = $2 AND {column} IS NULL"
        );
        let done = query(&sql, params![account, id, now])
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
