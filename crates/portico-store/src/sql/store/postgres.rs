//! PostgreSQL's form of the group writes: each kind of write in one statement whose text is the
//! same for any number of writes (their values bound as arrays and read with `unnest`), so that
//! PostgreSQL prepares it once per connection and a group costs one round trip per kind. A group
//! of new portal sessions alone is one statement, and so atomic without a transaction around it.

use std::collections::HashMap;

use super::*;
use crate::sql::db::PgQuery;
use crate::sql::outbox::insert_outbox;

/// A group that PostgreSQL runs as one statement: new portal sessions (with their events) only.
pub(in crate::sql) fn one_statement(ops: &[&WriteOp]) -> bool {
    ops.iter()
        .all(|op| matches!(op, WriteOp::PortalSession { .. }))
}

/// Stores new portal sessions and the events in `outbox` (their `portal_session.created`, and
/// whatever the group recorded before) in one statement.
pub(super) async fn insert_sessions(
    pg: &mut sqlx::PgConnection,
    sessions: &[(usize, &AccountId, &PortalSession, Option<&Origin>)],
    outbox: &mut Outbox,
) -> StoreResult<()> {
    let mut q = PgQuery::default();
    let sql = sessions_statement(&mut q, sessions, &outbox.take())?;
    // Errors name the first session; a failed group is retried one write at a time, where the
    // first is the only one.
    let first = sessions[0].2;
    q.execute(&sql, pg).await.map_err(|e| {
        if in_outbox(&e) {
            return StoreError::Database(e);
        }
        session_write_error(e, first)
    })?;
    Ok(())
}

/// The statement of [`insert_sessions`], its parameters added to `q`.
fn sessions_statement(
    q: &mut PgQuery,
    sessions: &[(usize, &AccountId, &PortalSession, Option<&Origin>)],
    events: &[Event],
) -> StoreResult<String> {
    let rows = sessions
        .iter()
        .map(|(_, account, session, _)| {
            let mut row = params![*account];
            row.extend(rows::portal_session_values(session));
            row
        })
        .collect();
    let rows = q.rows(rows)?;
    let events = insert_outbox(q, events)?;
    Ok(format!(
        "WITH created AS (INSERT INTO portal_sessions (account_id, {}) SELECT * FROM {rows}) \
         {events}",
        rows::PORTAL_SESSIONS.columns()
    ))
}

/// Whether a failed statement failed on the outbox (whose rows refer to nothing a caller names).
fn in_outbox(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.table() == Some("outbox"))
}

/// A redirect token a write of the group spends, with the browser session to start if it wins.
pub(super) struct Spend<'a> {
    pub sha256: &'a [u8; 32],
    pub now: Timestamp,
    /// The cookie's hash and CSRF secret of an exchange; none for a plain consumption.
    pub browser: Option<(&'a [u8; 32], &'a [u8; 32])>,
}

/// What one spent token led to.
pub(super) struct Spent {
    pub account: AccountId,
    pub session: PortalSession,
}

/// Spends the redirect tokens at `now` and starts the exchanges' browser sessions, in one
/// statement; answers each spent token's portal session, by token hash. Of two writes that
/// name the same token, the first is the one that spends it.
pub(super) async fn spend_tokens(
    pg: &mut sqlx::PgConnection,
    now: Timestamp,
    spends: &[Spend<'_>],
) -> StoreResult<HashMap<String, Spent>> {
    let mut q = PgQuery::default();
    let sql = spend_statement(&mut q, now, spends)?;
    let rows = q.fetch_all(&sql, pg).await.map_err(|e| {
        write_error(
            e,
            || "a browser session with this cookie".to_owned(),
            StoreError::Database,
        )
    })?;
    let mut spent = HashMap::with_capacity(rows.len());
    for row in rows {
        let found = Spent {
            account: row.parsed("account_id")?,
            session: rows::portal_session(&row)?,
        };
        spent.insert(row.text("token_sha256")?, found);
    }
    Ok(spent)
}

/// The statement of [`spend_tokens`], its parameters added to `q`.
fn spend_statement(q: &mut PgQuery, now: Timestamp, spends: &[Spend<'_>]) -> StoreResult<String> {
    let now = q.value(now);
    // `= ANY` of an array, which PostgreSQL looks up by the primary key however few rows it
    // thinks the table holds (a join with the `unnest` below may scan the table instead).
    let tokens = q.texts(
        spends
            .iter()
            .map(|s| Some(rows::hash_text(s.sha256)))
            .collect(),
    );
    let asked = q.rows(
        spends
            .iter()
            .map(|s| {
                params![
                    rows::hash_text(s.sha256),
                    s.browser.map(|(cookie, _)| rows::hash_text(cookie)),
                    s.browser.map(|(_, csrf)| hex::encode(csrf)),
                    s.now,
                ]
            })
            .collect(),
    )?;
    let columns: Vec<String> = rows::PORTAL_SESSIONS
        .columns
        .iter()
        .map(|c| format!("p.{c}"))
        .collect();
    Ok(format!(
        "WITH asked AS (SELECT * FROM {asked} WITH ORDINALITY \
         AS a (token_sha256, cookie_sha256, csrf_secret, now, n)), \
         spent AS (UPDATE redirect_tokens SET used_at = {now} \
         WHERE used_at IS NULL AND expires_at > {now} \
         AND token_sha256 = ANY({tokens}) \
         RETURNING token_sha256, account_id, portal_session_id), \
         first AS (SELECT DISTINCT ON (token_sha256) token_sha256, cookie_sha256, csrf_secret, \
         now FROM asked ORDER BY token_sha256, n), \
         started AS (INSERT INTO browser_sessions (cookie_sha256, account_id, \
         portal_session_id, csrf_secret, created_at, last_seen_at) \
         SELECT f.cookie_sha256, s.account_id, s.portal_session_id, f.csrf_secret, f.now, \
         f.now FROM spent s JOIN first f USING (token_sha256) \
         WHERE f.cookie_sha256 IS NOT NULL) \
         SELECT s.token_sha256, p.account_id, {} FROM spent s \
         JOIN portal_sessions p ON p.account_id = s.account_id AND p.id = s.portal_session_id",
        columns.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use portico_core::scope::PortalScopes;

    fn session(n: u8, contact: bool) -> PortalSession {
        let now = Timestamp::from_millis(1_767_225_600_000);
        PortalSession {
            id: PortalSessionId::new(now, [n; 10]),
            customer: CustomerId::new(now, [n; 10]),
            contact: contact.then(|| ContactId::new(now, [n; 10])),
            scopes: PortalScopes::read_only(),
            return_url: contact.then(|| "https://example.com/".to_owned()),
            locale: None,
            page: PortalPage::Overview,
            issued_at: now,
            expires_at: now.plus_secs(3_600),
            revoked_at: None,
            issued_by: "cli".into(),
            flow: None,
        }
    }

    /// PostgreSQL prepares a statement once per connection and text: a group's statements must
    /// read the same whatever the group's size, or every new size is prepared anew.
    #[test]
    fn group_statements_read_the_same_for_any_number_of_writes() {
        let account = AccountId::new(Timestamp::from_millis(1_767_225_600_000), [1; 10]);
        let sessions: Vec<PortalSession> = (0..5).map(|n| session(n, n % 2 == 0)).collect();
        let statement = |n: usize| {
            let group: Vec<_> = sessions[..n]
                .iter()
                .enumerate()
                .map(|(i, s)| (i, &account, s, None))
                .collect();
            let mut outbox = Outbox::default();
            for (_, a, s, o) in &group {
                record_created(&mut outbox, a, s, *o).unwrap();
            }
            sessions_statement(&mut PgQuery::default(), &group, &outbox.take()).unwrap()
        };
        assert_eq!(statement(1), statement(5));

        let hashes: Vec<[u8; 32]> = (0..4).map(|n| [n; 32]).collect();
        let now = Timestamp::from_millis(1_767_225_600_000);
        let spend = |n: usize| {
            let spends: Vec<Spend> = hashes[..n]
                .iter()
                .map(|h| Spend {
                    sha256: h,
                    now,
                    browser: (h[0] % 2 == 1).then_some((h, h)),
                })
                .collect();
            spend_statement(&mut PgQuery::default(), now, &spends).unwrap()
        };
        assert_eq!(spend(1), spend(4));
    }
}
