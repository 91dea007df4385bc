//! What a document costs once its fragments are spread, judged in time
//! linear in the document whatever the spreads.
//!
//! async-graphql's depth and complexity limits, and its own check of how
//! deeply selections nest, walk each operation with every fragment spread
//! expanded in place: `fragment F0 on User { ...F1 ...F1 }` through `F30`
//! is 1.2 KB and 2^30 spreads, and walking them held a worker for minutes
//! before the limit could refuse. Here each fragment is judged once, in
//! dependency order (a fragment after every fragment it spreads), from the
//! figures of the fragments it spreads; an operation is judged the same way.
//! Sums saturate at a cap, so no figure overflows however many spreads
//! multiply. Nothing here recurses along spreads (only into the selection
//! sets written inside one definition, which the nesting scan bounds), and
//! a cycle of spreads is found, not followed.
//!
//! Three figures, each as async-graphql counts it:
//! - depth: fields nested in fields (`{ me { id } }` is 2), the schema's
//!   depth limit;
//! - nesting: selection sets inside selection sets, spreads and inline
//!   fragments counted as a level (async-graphql's recursion check, 32);
//! - selections: every field once per place it lands after expansion,
//!   `__typename` included (it costs nothing to the complexity limit, so a
//!   `__typename`-only document passed that limit and then ran), each with
//!   its arguments and directives, and every spread and inline fragment
//!   with its directives. async-graphql's overlapping-fields rule compares
//!   the fields of each selection set pairwise, argument by argument with a
//!   linear search, once per set a fragment lands in: counting only fields
//!   let two fragments of one field with thousands of arguments, spread
//!   into a thousand small sets, hold a worker for minutes.
//!
//! Every definition is held to the bounds, operations and fragments alike:
//! a fragment no operation spreads is refused by validation anyway, and its
//! selection sets would still be walked by it.

use std::collections::{HashMap, VecDeque};

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Most selections a document may hold once its fragments are spread,
/// summed over its operations and fragment definitions.
///
/// GraphiQL's full introspection query, the largest legitimate document the
/// service knows of, comes to 394 (its operation 193 once its fragments are
/// spread, the fragments 201 between them; depth 13, nesting 15); the
/// complexity limit lets an operation select at most `MAX_COMPLEXITY` (256)
/// fields other than `__typename`. 2,048 leaves room for several
/// operations and a client's own fragments over both, and bounds what
/// async-graphql's own validation after this judgement does (it spreads
/// fragments itself: in place for its limits, once per selection set for
/// its overlapping-fields rule): see `admission`'s figures.
pub(crate) const MAX_EXPANDED_SELECTIONS: usize = 2048;

/// What a selection set (or a whole definition) comes to once expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Expansion {
    /// Fields nested in fields.
    pub(crate) depth: usize,
    /// Selection sets nested in selection sets, spreads included.
    pub(crate) nesting: usize,
    /// Fields, `__typename` included, counted once per place they land;
    /// saturates at [`SELECTION_CEILING`].
    pub(crate) selections: usize,
}

/// Where selection counts stop growing: well past every bound, far from
/// overflow.
const SELECTION_CEILING: usize = 1 << 40;

/// Why a document's expansion cannot be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unjudgeable {
    /// These fragments spread each other in a cycle (or spread one that does).
    Cycle(Vec<String>),
}

/// The expansions of a document's definitions.
#[derive(Debug)]
pub(crate) struct DocumentExpansion {
    /// Per operation (anonymous: None) and per fragment.
    pub(crate) definitions: Vec<Expansion>,
    /// Selections summed over every definition, saturating.
    pub(crate) total_selections: usize,
}

impl DocumentExpansion {
    /// The deepest depth and nesting of any definition.
    pub(crate) fn deepest(&self) -> Expansion {
        self.definitions
            .iter()
            .fold(Expansion::default(), |deepest, each| Expansion {
                depth: deepest.depth.max(each.depth),
                nesting: deepest.nesting.max(each.nesting),
                selections: deepest.selections.max(each.selections),
            })
    }
}

/// Judges every fragment once, in dependency order, then every operation.
pub(crate) fn expand(document: &ExecutableDocument) -> Result<DocumentExpansion, Unjudgeable> {
    let fragments = &document.fragments;
    // Each fragment's distinct spreads of known fragments.
    let mut spreads: HashMap<&Name, Vec<&Name>> = HashMap::with_capacity(fragments.len());
    for (name, fragment) in fragments {
        let mut spread = Vec::new();
        spread_names(&fragment.node.selection_set.node, &mut spread);
        spread.sort_unstable();
        spread.dedup();
        spread.retain(|spread_name| fragments.contains_key(*spread_name));
        spreads.insert(name, spread);
    }
    // Kahn's order: a fragment is ready once all it spreads is judged.
    let mut waiting_on: HashMap<&Name, usize> = HashMap::with_capacity(fragments.len());
    let mut spread_by: HashMap<&Name, Vec<&Name>> = HashMap::new();
    let mut ready: VecDeque<&Name> = VecDeque::new();
    for (name, spread) in &spreads {
        waiting_on.insert(name, spread.len());
        if spread.is_empty() {
            ready.push_back(name);
        }
        for spread_name in spread {
            spread_by.entry(spread_name).or_default().push(name);
        }
    }
    let mut judged: HashMap<&Name, Expansion> = HashMap::with_capacity(fragments.len());
    while let Some(name) = ready.pop_front() {
        let Some(fragment) = fragments.get(name) else {
            continue;
        };
        let expansion = expand_set(&fragment.node.selection_set.node, &judged);
        judged.insert(name, expansion);
        for dependent in spread_by.get(name).into_iter().flatten() {
            if let Some(count) = waiting_on.get_mut(dependent) {
                *count -= 1;
                if *count == 0 {
                    ready.push_back(dependent);
                }
            }
        }
    }
    if judged.len() < fragments.len() {
        let mut cycle: Vec<String> = fragments
            .keys()
            .filter(|name| !judged.contains_key(name))
            .map(|name| name.to_string())
            .collect();
        cycle.sort_unstable();
        return Err(Unjudgeable::Cycle(cycle));
    }
    let mut definitions: Vec<Expansion> = judged.values().copied().collect();
    definitions.extend(
        document
            .operations
            .iter()
            .map(|(_, operation)| expand_set(&operation.node.selection_set.node, &judged)),
    );
    let total_selections = definitions
        .iter()
        .fold(0usize, |sum, each| sum.saturating_add(each.selections))
        .min(SELECTION_CEILING);
    Ok(DocumentExpansion {
        definitions,
        total_selections,
    })
}

/// The names of the fragments spread in `set`, inline fragments included.
fn spread_names<'a>(set: &'a SelectionSet, names: &mut Vec<&'a Name>) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => spread_names(&field.node.selection_set.node, names),
            Selection::FragmentSpread(spread) => names.push(&spread.node.fragment_name.node),
            Selection::InlineFragment(inline) => {
                spread_names(&inline.node.selection_set.node, names)
            }
        }
    }
}

/// Expands `set` with the fragments judged so far; a spread of a fragment
/// not among them (unknown to the document) counts nothing, and is
/// validation's to refuse.
fn expand_set(set: &SelectionSet, judged: &HashMap<&Name, Expansion>) -> Expansion {
    let mut expansion = Expansion::default();
    for selection in &set.items {
        let (depth, nesting, selections) = match &selection.node {
            Selection::Field(field) => {
                let children = &field.node.selection_set.node;
                let inner = expand_set(children, judged);
                let nesting = if children.items.is_empty() {
                    0
                } else {
                    inner.nesting + 1
                };
                let own = 1 + field.node.arguments.len() + field.node.directives.len();
                (
                    inner.depth + 1,
                    nesting,
                    inner.selections.saturating_add(own),
                )
            }
            Selection::FragmentSpread(spread) => {
                let own = 1 + spread.node.directives.len();
                match judged.get(&spread.node.fragment_name.node) {
                    Some(fragment) => (
                        fragment.depth,
                        fragment.nesting + 1,
                        fragment.selections.saturating_add(own),
                    ),
                    None => (0, 1, own),
                }
            }
            Selection::InlineFragment(inline) => {
                let inner = expand_set(&inline.node.selection_set.node, judged);
                let own = 1 + inline.node.directives.len();
                (
                    inner.depth,
                    inner.nesting + 1,
                    inner.selections.saturating_add(own),
                )
            }
        };
        expansion.depth = expansion.depth.max(depth);
        expansion.nesting = expansion.nesting.max(nesting);
        expansion.selections = expansion
            .selections
            .saturating_add(selections)
            .min(SELECTION_CEILING);
    }
    expansion
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn expansion_of(document: &str) -> DocumentExpansion {
        expand(&parse_query(document).expect("parses")).expect("no cycle")
    }

    #[test]
    fn plain_selections_are_counted_as_async_graphql_counts_them() {
        let judged = expansion_of("{ me { id userName } __typename }");
        assert_eq!(
            judged.deepest(),
            Expansion {
                depth: 2,
                nesting: 1,
                selections: 4
            }
        );
        // A field's arguments and directives count with it.
        let judged = expansion_of("{ me @skip(if: false) { id } a: me { id } }");
        assert_eq!(judged.total_selections, (1 + 1 + 1) + (1 + 1));
    }

    #[test]
    fn spreads_count_what_they_expand_to() {
        let judged = expansion_of(
            "{ me { ...A ...A } } fragment A on User { ...B ... on User { ...B } } \
             fragment B on User { id userName }",
        );
        // B = 2; A = (1 + B) + (1 + (1 + B)) = 7, a spread or inline
        // fragment counting one; the operation: `me` and two spreads of A.
        assert_eq!(judged.total_selections, (1 + 2 * (1 + 7)) + 7 + 2);
        let deepest = judged.deepest();
        assert_eq!(deepest.depth, 2);
        // me's set, A, the inline fragment, B.
        assert_eq!(deepest.nesting, 4);
    }

    #[test]
    fn a_cycle_is_found_not_followed() {
        let document = parse_query(
            "{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A id } \
             fragment C on User { ...A }",
        )
        .expect("parses");
        assert_eq!(
            expand(&document).err(),
            Some(Unjudgeable::Cycle(vec!["A".into(), "B".into(), "C".into()]))
        );
    }

    #[test]
    fn many_arguments_spread_into_many_sets_are_counted() {
        let arguments = |prefix: &str| {
            (0..1000)
                .map(|n| format!("{prefix}{n}: 1"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut document = format!(
            "fragment F on User {{ x: id({}) }} fragment G on User {{ x: id({}) }} {{ me {{ ",
            arguments("a"),
            arguments("b")
        );
        for _ in 0..1000 {
            document.push_str("... on User { ...F ...G } ");
        }
        document.push_str("} }");
        let judged = expansion_of(&document);
        assert!(judged.total_selections > MAX_EXPANDED_SELECTIONS);
    }

    #[test]
    fn doubling_spreads_saturate() {
        let mut document = String::from("{ me { ...F0 } }");
        for level in 0..200 {
            let next = level + 1;
            document.push_str(&format!(
                " fragment F{level} on User {{ ...F{next} ...F{next} }}"
            ));
        }
        document.push_str(" fragment F200 on User { id }");
        let judged = expansion_of(&document);
        assert_eq!(judged.total_selections, SELECTION_CEILING);
    }
}
