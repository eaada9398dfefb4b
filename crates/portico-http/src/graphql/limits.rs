//! Limits a GraphQL document must meet before the schema validates it: validation expands
//! fragment spreads, so a small document of fragments that each spread the previous one twice
//! would cost time exponential in its size. These checks take time linear in the document.

use std::collections::{HashMap, HashSet};

use async_graphql::Pos;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Most fragment spreads (`...name`) a document may contain, as written.
pub const MAX_FRAGMENT_SPREADS: usize = 100;
/// Most aliases (`a: field`) a document may contain, as written.
pub const MAX_ALIASES: usize = 100;
/// Most fields an operation or a fragment may select once every spread is expanded. Twice the
/// complexity limit: every field costs at least 1 there, so nothing the limit lets through is
/// refused here.
pub const MAX_EXPANDED_FIELDS: u64 = 2 * super::MAX_COMPLEXITY as u64;
/// Each `portalSessionCreate` issues a session, so that one request cannot do the work of many
/// under one rate-limit token.
pub const MAX_SESSION_CREATES: u64 = 1;

const SESSION_CREATE: &str = "portalSessionCreate";

/// Why a document is refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub pos: Pos,
}

fn refuse(pos: Pos, message: String) -> Refusal {
    Refusal { message, pos }
}

/// Checks every operation and fragment of `doc` against the limits above.
pub fn check(doc: &ExecutableDocument) -> Result<(), Refusal> {
    let mut written = Written::default();
    for (_, op) in doc.operations.iter() {
        written.selection_set(&op.node.selection_set.node);
    }
    for fragment in doc.fragments.values() {
        written.selection_set(&fragment.node.selection_set.node);
    }
    if let Some(pos) = written.spreads.get(MAX_FRAGMENT_SPREADS) {
        return Err(refuse(
            *pos,
            format!("a document may contain at most {MAX_FRAGMENT_SPREADS} fragment spreads"),
        ));
    }
    if let Some(pos) = written.aliases.get(MAX_ALIASES) {
        return Err(refuse(
            *pos,
            format!("a document may contain at most {MAX_ALIASES} aliases"),
        ));
    }

    let mut expanded = Expanded {
        doc,
        done: HashMap::new(),
        open: HashSet::new(),
    };
    for (name, fragment) in &doc.fragments {
        let tally = expanded.fragment(name.as_str(), fragment.pos)?;
        too_many_fields(tally, fragment.pos, &format!("fragment {name}"))?;
    }
    for (_, op) in doc.operations.iter() {
        let tally = expanded.selection_set(&op.node.selection_set.node)?;
        too_many_fields(tally, op.pos, "the operation")?;
        if tally.session_creates > MAX_SESSION_CREATES {
            return Err(refuse(
                op.pos,
                format!(
                    "{SESSION_CREATE} may be asked at most {MAX_SESSION_CREATES} time per request"
                ),
            ));
        }
    }
    Ok(())
}

fn too_many_fields(tally: Tally, pos: Pos, what: &str) -> Result<(), Refusal> {
    if tally.fields > MAX_EXPANDED_FIELDS {
        return Err(refuse(
            pos,
            format!(
                "{what} selects more than {MAX_EXPANDED_FIELDS} fields once its fragments are expanded"
            ),
        ));
    }
    Ok(())
}

/// Spreads and aliases as written, each by its position; nothing is expanded.
#[derive(Default)]
struct Written {
    spreads: Vec<Pos>,
    aliases: Vec<Pos>,
}

impl Written {
    // Recursion is bounded by the parser's nesting limit.
    fn selection_set(&mut self, set: &SelectionSet) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    if let Some(alias) = &field.node.alias {
                        self.aliases.push(alias.pos);
                    }
                    self.selection_set(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => self.spreads.push(spread.pos),
            }
        }
    }
}

/// What a selection amounts to once its spreads are expanded. Sums saturate: a count past the
/// limits is refused whatever its exact value.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    fields: u64,
    session_creates: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.fields = self.fields.saturating_add(other.fields);
        self.session_creates = self.session_creates.saturating_add(other.session_creates);
    }
}

/// Expands each fragment once: its tally is remembered, so a fragment spread many times costs
/// one visit, and the whole walk is linear in the document.
struct Expanded<'a> {
    doc: &'a ExecutableDocument,
    done: HashMap<&'a str, Tally>,
    /// Fragments being expanded: meeting one again is a cycle.
    open: HashSet<&'a str>,
}

impl<'a> Expanded<'a> {
    // Recursion is bounded by the parser's nesting limit times the number of spreads.
    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Tally, Refusal> {
        let mut tally = Tally::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    tally.add(Tally {
                        fields: 1,
                        session_creates: u64::from(field.node.name.node == SESSION_CREATE),
                    });
                    tally.add(self.selection_set(&field.node.selection_set.node)?);
                }
                Selection::InlineFragment(inline) => {
                    tally.add(self.selection_set(&inline.node.selection_set.node)?);
                }
                Selection::FragmentSpread(spread) => {
                    tally.add(self.fragment(spread.node.fragment_name.node.as_str(), spread.pos)?);
                }
            }
        }
        Ok(tally)
    }

    fn fragment(&mut self, name: &'a str, pos: Pos) -> Result<Tally, Refusal> {
        if let Some(tally) = self.done.get(name) {
            return Ok(*tally);
        }
        // An unknown fragment is left to validation, which names it.
        let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
            return Ok(Tally::default());
        };
        let key = key.as_str();
        if !self.open.insert(key) {
            return Err(refuse(pos, format!("fragment {name} spreads itself")));
        }
        let tally = self.selection_set(&fragment.node.selection_set.node)?;
        self.open.remove(key);
        self.done.insert(key, tally);
        Ok(tally)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn checked(query: &str) -> Result<(), String> {
        check(&parse_query(query).unwrap()).map_err(|r| r.message)
    }

    /// Fragments `F0 … F{n-1}`, each spreading the one before it twice.
    fn doubled(n: usize) -> String {
        let mut q = String::from("query { ...F0 }\nfragment F0 on QueryRoot { __typename }\n");
        for i in 1..n {
            q.push_str(&format!(
                "fragment F{i} on QueryRoot {{ ...F{p} ...F{p} }}\n",
                p = i - 1
            ));
        }
        q
    }

    #[test]
    fn doubled_fragments_are_refused_without_expanding_them() {
        assert_eq!(checked(&doubled(10)), Ok(()));
        let m = checked(&doubled(40)).unwrap_err();
        assert!(m.contains("fields once its fragments are expanded"), "{m}");
        // Far past what a u64 counts: sums saturate.
        let m = checked(&doubled(50)).unwrap_err();
        assert!(m.contains("fields once"), "{m}");
    }

    proptest::proptest! {
        /// Documents made of fragments spreading each other in any pattern, cycles included:
        /// the check always answers.
        #[test]
        fn any_fragment_graph_is_an_answer(edges in proptest::collection::vec((0usize..12, 0usize..12), 0..40)) {
            let mut q = String::from("query { ...F0 }\n");
            for f in 0..12 {
                let spreads: String = edges
                    .iter()
                    .filter(|(from, _)| *from == f)
                    .map(|(_, to)| format!(" ...F{to}"))
                    .collect();
                q.push_str(&format!("fragment F{f} on QueryRoot {{ __typename{spreads} }}\n"));
            }
            let _ = check(&parse_query(&q).unwrap());
        }
    }

    #[test]
    fn spreads_aliases_and_cycles() {
        let spreads = format!(
            "query {{ {} }} fragment F on QueryRoot {{ __typename }}",
            "...F ".repeat(MAX_FRAGMENT_SPREADS + 1)
        );
        assert!(checked(&spreads).unwrap_err().contains("fragment spreads"));
        let aliases: String = (0..=MAX_ALIASES)
            .map(|i| format!("a{i}: __typename "))
            .collect();
        assert!(
            checked(&format!("{{ {aliases} }}"))
                .unwrap_err()
                .contains("aliases")
        );
        let cycle =
            "query { ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }";
        assert!(checked(cycle).unwrap_err().contains("spreads itself"));
        assert_eq!(checked("query { ...Unknown }"), Ok(()));
    }

    #[test]
    fn one_session_create_per_request_fragments_included() {
        let one = "mutation { portalSessionCreate(tenantCode: \"a\") { token } }";
        assert_eq!(checked(one), Ok(()));
        let aliased = "mutation { a: portalSessionCreate(tenantCode: \"a\") { token } \
                       b: portalSessionCreate(tenantCode: \"a\") { token } }";
        assert!(checked(aliased).unwrap_err().contains("at most 1 time"));
        let spread = "mutation { ...S ...S } \
                      fragment S on MutationRoot { portalSessionCreate(tenantCode: \"a\") { token } }";
        assert!(checked(spread).unwrap_err().contains("at most 1 time"));
        let inline = "mutation { ... on MutationRoot { a: portalSessionCreate(tenantCode: \"a\") { token } } \
                      portalSessionCreate(tenantCode: \"b\") { token } }";
        assert!(checked(inline).unwrap_err().contains("at most 1 time"));
    }
}
