//! Cursor pagination: newest first, `limit` ≤ 100, `starting_after` (or, for the page before,
//! `ending_before`) an id of the same kind.

use serde::{Deserialize, Serialize};

use crate::error::{Invalid, ValidationResult};

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;

/// One page of a list; `starting_after` is the last id the client has already seen. With
/// `ending_before` instead, the page is the `limit` items just newer than that id (still newest
/// first), and the list's `has_more` says whether still newer ones precede them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest<I> {
    pub limit: u32,
    pub starting_after: Option<I>,
    pub ending_before: Option<I>,
}

impl<I> PageRequest<I> {
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            starting_after: None,
            ending_before: None,
        }
    }

    /// The page after `id`: older items.
    pub fn after(limit: u32, id: I) -> Self {
        Self {
            starting_after: Some(id),
            ..Self::first(limit)
        }
    }

    /// The page before `id`: newer items.
    pub fn before(limit: u32, id: I) -> Self {
        Self {
            ending_before: Some(id),
            ..Self::first(limit)
        }
    }

    pub fn validate_limit(limit: Option<i64>) -> ValidationResult<u32> {
        match limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => Ok(n as u32),
            Some(_) => Err(Invalid::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }
}

impl<I> Default for PageRequest<I> {
    fn default() -> Self {
        Self::first(DEFAULT_LIMIT)
    }
}

/// A page of results, newest first. `has_more` says whether another page follows the last item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct List<T> {
    pub data: Vec<T>,
    pub has_more: bool,
}

impl<T> List<T> {
    /// Builds a page from up to `limit + 1` rows fetched, the extra row telling that more follow.
    pub fn from_overfetch(mut rows: Vec<T>, limit: u32) -> Self {
        let has_more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Self {
            data: rows,
            has_more,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> List<U> {
        List {
            data: self.data.into_iter().map(f).collect(),
            has_more: self.has_more,
        }
    }
}
