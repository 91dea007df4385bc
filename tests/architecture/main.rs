//! The architecture test: reads `src/` and keeps its layers apart.
//!
//! The layers, lowest first: the floor (`error.rs`, `config/`, `secret.rs`,
//! `ids.rs` (random ids, which the store makes for its rows too), and the
//! two vocabularies every layer speaks, `vocabulary.rs` and
//! `user_name.rs`, the spelling of names that the store's unique key is
//! made of), `store/`
//! (storage), `core/` (the rules), `api/` (HTTP, GraphQL, the socket, the
//! browser parts), then `cli/` and the binary. A file may use its own layer
//! and those below it. The test fails when
//! - a file of `core/` or `store/` uses a transport crate (axum, hyper,
//!   tower, async-graphql and its axum glue, tungstenite);
//! - a file of `store/` uses `core/`, or one of `core/` uses `api/` or
//!   `cli/`, or any other import runs up a layer, beyond the two allowed
//!   ones, each of which carries an `// Upward:` comment saying why;
//! - the files' imports make a cycle.
//!
//! It reads paths as text (`crate::…`, `super::…`, `use` trees), which is
//! enough for a tree that names what it uses; a module's uses of its own
//! ancestors (a parent's re-exports) are not counted as edges, since the
//! parent's `mod` line is not an import.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test, bench or example stops at the first thing that is not as it expects"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Crates that are transport: the rules and storage never see them.
const TRANSPORT_CRATES: &[&str] = &[
    "axum",
    "hyper",
    "hyper_util",
    "tower",
    "tower_http",
    "async_graphql",
    "async_graphql_axum",
    "tokio_tungstenite",
    "tungstenite",
];

/// Imports that may run up a layer, at most.
const MAX_UPWARD_IMPORTS: usize = 2;

/// One source file: its module path and its text without comments.
struct SourceFile {
    module: Vec<String>,
    relative: String,
    /// The lines as written (comments included).
    raw: Vec<String>,
    /// The lines without comments.
    lines: Vec<String>,
}

#[test]
fn layers_hold_and_imports_make_no_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = read_tree(&root);
    assert!(
        files.len() > 50,
        "read only {} files under {root:?}",
        files.len()
    );
    let mut failures = Vec::new();
    check_layers(&files, &mut failures);
    check_cycles(&files, &mut failures);
    assert!(
        failures.is_empty(),
        "the architecture does not hold:\n{}",
        failures.join("\n")
    );
}

/// The test reads what it should: a transport import in a core file and
/// a cycle of two files are both found.
#[test]
fn finds_a_transport_import_and_a_cycle() {
    let make = |relative: &str, text: &str| SourceFile {
        module: module_of(relative),
        relative: relative.to_owned(),
        raw: text.lines().map(str::to_owned).collect(),
        lines: text.lines().map(strip_comment).collect(),
    };
    let files = vec![
        make(
            "core/a.rs",
            "use axum::Router;\nuse crate::core::b::{x, y as z};",
        ),
        make("core/b.rs", "pub fn x() { crate::core::a::f() }"),
        make(
            "store/c.rs",
            "// Upward: never allowed for store.\nuse crate::core::a;",
        ),
    ];
    let mut failures = Vec::new();
    check_layers(&files, &mut failures);
    check_cycles(&files, &mut failures);
    let text = failures.join("\n");
    assert!(text.contains("src/core/a.rs:1 uses `axum`"), "{text}");
    assert!(
        text.contains("src/store/c.rs:2: store imports core"),
        "{text}"
    );
    assert!(
        text.contains("cycle: src/core/a.rs → src/core/b.rs → src/core/a.rs"),
        "{text}"
    );
}

fn read_tree(root: &Path) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    collect(root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&path).unwrap_or_default();
            SourceFile {
                module: module_of(&relative),
                raw: text.lines().map(str::to_owned).collect(),
                lines: without_test_modules(text.lines().map(strip_comment).collect()),
                relative,
            }
        })
        .collect()
}

fn collect(folder: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// `core/sessions/mod.rs` → `["core", "sessions"]`; `lib.rs` → `[]`.
fn module_of(relative: &str) -> Vec<String> {
    let without_ext = relative.trim_end_matches(".rs");
    let mut parts: Vec<String> = without_ext.split('/').map(str::to_owned).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a line, without a trailing `//` comment (doc comments too).
fn strip_comment(line: &str) -> String {
    let mut in_string = false;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return line[..i].to_owned(),
            _ => {}
        }
    }
    line.to_owned()
}

/// The lines with `#[cfg(test)]` modules blanked: unit tests are not part
/// of what the layers ship, and may reach anywhere in their crate.
fn without_test_modules(mut lines: Vec<String>) -> Vec<String> {
    let mut i = 0;
    while i < lines.len() {
        let opens_test_module = lines[i].trim() == "#[cfg(test)]"
            && lines
                .get(i + 1)
                .is_some_and(|next| next.contains("mod ") && next.trim_end().ends_with('{'));
        if !opens_test_module {
            i += 1;
            continue;
        }
        let mut depth = 0i64;
        let mut j = i + 1;
        while j < lines.len() {
            depth += lines[j].matches('{').count() as i64;
            depth -= lines[j].matches('}').count() as i64;
            lines[j].clear();
            j += 1;
            if depth <= 0 {
                break;
            }
        }
        i = j;
    }
    lines
}

/// The layer of a module, lowest 0.
fn layer(module: &[String]) -> (u8, &'static str) {
    match module.first().map(String::as_str) {
        Some("error" | "config" | "ids" | "secret" | "user_name" | "vocabulary") => {
            (0, "the floor")
        }
        Some("store") => (1, "store"),
        Some("core") => (2, "core"),
        Some("api") => (3, "api"),
        Some("cli") => (4, "cli"),
        _ => (5, "the crate root"),
    }
}

/// Every crate-internal path one line names, as module paths (unresolved
/// to files yet), with `super` and `self` made absolute.
fn internal_paths(file: &SourceFile, line: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        let mut rest = line;
        while let Some(at) = rest.find(start) {
            let preceded_by_ident = rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':' || c == '$');
            let tail = &rest[at..];
            rest = &rest[at + start.len()..];
            if preceded_by_ident {
                continue;
            }
            for path in expand_tree(tail) {
                if let Some(absolute) = absolute(file, &path) {
                    found.push(absolute);
                }
            }
        }
    }
    found
}

/// `crate::a::{b, c::d}` → `[[crate, a, b], [crate, a, c, d]]`.
fn expand_tree(text: &str) -> Vec<Vec<String>> {
    let mut chars = text.chars().peekable();
    parse_tree(&mut chars, Vec::new())
}

fn parse_tree(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    prefix: Vec<String>,
) -> Vec<Vec<String>> {
    let mut path = prefix;
    loop {
        let mut ident = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_alphanumeric() || c == '_' {
                ident.push(c);
                chars.next();
            } else {
                break;
            }
        }
        if !ident.is_empty() {
            path.push(ident);
        }
        let mut lookahead = chars.clone();
        if lookahead.next() == Some(':') && lookahead.next() == Some(':') {
            chars.next();
            chars.next();
            if chars.peek() == Some(&'{') {
                chars.next();
                let mut all = Vec::new();
                loop {
                    while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
                        chars.next();
                    }
                    match chars.peek() {
                        Some('}') | None => {
                            chars.next();
                            break;
                        }
                        _ => {}
                    }
                    let before = all.len();
                    all.extend(parse_tree(chars, path.clone()));
                    // Skip what the sub-tree did not read (`as name`, `*`).
                    while chars.peek().is_some_and(|c| *c != ',' && *c != '}') {
                        chars.next();
                    }
                    if all.len() == before {
                        all.push(path.clone());
                    }
                }
                return all;
            }
            continue;
        }
        return vec![path];
    }
}

fn absolute(file: &SourceFile, path: &[String]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "self" => file.module.clone(),
        "super" => {
            let mut parent = file.module.clone();
            parent.pop()?;
            parent
        }
        _ => return None,
    };
    let mut rest = rest.iter().peekable();
    while rest.peek().is_some_and(|segment| *segment == "super") {
        base.pop()?;
        rest.next();
    }
    base.extend(rest.cloned());
    Some(base)
}

/// The file that defines the longest prefix of `path`.
fn resolve<'a>(
    modules: &'a BTreeMap<Vec<String>, usize>,
    path: &[String],
) -> Option<(&'a Vec<String>, usize)> {
    (0..=path.len())
        .rev()
        .find_map(|n| modules.get_key_value(&path[..n]).map(|(k, v)| (k, *v)))
}

fn is_ancestor(ancestor: &[String], of: &[String]) -> bool {
    ancestor.len() < of.len() && of.starts_with(ancestor)
}

/// Every edge file → file, with the line that makes it.
fn edges(files: &[SourceFile]) -> Vec<(usize, usize, usize)> {
    let modules: BTreeMap<Vec<String>, usize> = files
        .iter()
        .enumerate()
        .map(|(index, file)| (file.module.clone(), index))
        .collect();
    let mut found = BTreeSet::new();
    for (from, file) in files.iter().enumerate() {
        for (line_number, line) in file.lines.iter().enumerate() {
            for path in internal_paths(file, line) {
                let Some((target, to)) = resolve(&modules, &path) else {
                    continue;
                };
                if to == from || is_ancestor(target, &file.module) {
                    continue;
                }
                found.insert((from, to, line_number));
            }
        }
    }
    found.into_iter().collect()
}

fn check_layers(files: &[SourceFile], failures: &mut Vec<String>) {
    for file in files {
        let (level, _) = layer(&file.module);
        if level != 1 && level != 2 {
            continue;
        }
        for (line_number, line) in file.lines.iter().enumerate() {
            for name in TRANSPORT_CRATES {
                if uses_crate(line, name) {
                    failures.push(format!(
                        "src/{}:{} uses `{name}`, transport code, below the api layer",
                        file.relative,
                        line_number + 1
                    ));
                }
            }
        }
    }
    let mut upward = Vec::new();
    for (from, to, line_number) in edges(files) {
        let (from_level, from_name) = layer(&files[from].module);
        let (to_level, to_name) = layer(&files[to].module);
        if to_level <= from_level {
            continue;
        }
        let where_ = format!("src/{}:{}", files[from].relative, line_number + 1);
        let justified = comment_above_says_upward(&files[from], line_number);
        if (from_level, to_level) == (2, 3) || from_level == 1 || !justified {
            failures.push(format!(
                "{where_}: {from_name} imports {to_name} (src/{}), a layer above it{}",
                files[to].relative,
                if justified {
                    ""
                } else {
                    " without an `// Upward:` comment"
                }
            ));
        }
        upward.push(where_);
    }
    if upward.len() > MAX_UPWARD_IMPORTS {
        failures.push(format!(
            "{} imports run up a layer, at most {MAX_UPWARD_IMPORTS} may: {}",
            upward.len(),
            upward.join(", ")
        ));
    }
}

/// Whether the comment block right above a line starts with `// Upward:`.
fn comment_above_says_upward(file: &SourceFile, line_number: usize) -> bool {
    file.raw[..line_number]
        .iter()
        .rev()
        .map(|line| line.trim())
        .take_while(|line| line.starts_with("//"))
        .any(|line| line.starts_with("// Upward:"))
}

/// Whether a line names the crate `name` as a path root.
fn uses_crate(line: &str, name: &str) -> bool {
    let needle = format!("{name}::");
    line.match_indices(&needle).any(|(at, _)| {
        !line[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            || line[..at].ends_with(" ::")
            || line[..at].ends_with("(::")
            || line[..at].ends_with("<::")
    })
}

/// Cycles among files (strongly connected components of more than one).
fn check_cycles(files: &[SourceFile], failures: &mut Vec<String>) {
    let mut next: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); files.len()];
    for (from, to, _) in edges(files) {
        next[from].insert(to);
    }
    for component in strongly_connected(&next) {
        if component.len() < 2 {
            continue;
        }
        let cycle = one_cycle(&next, &component);
        let names: Vec<String> = cycle
            .iter()
            .map(|&index| format!("src/{}", files[index].relative))
            .collect();
        failures.push(format!("cycle: {}", names.join(" → ")));
    }
}

/// Tarjan's algorithm, iterative enough for a few hundred files.
fn strongly_connected(next: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        next: &'a [BTreeSet<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        components: Vec<Vec<usize>>,
    }
    fn visit(state: &mut State<'_>, node: usize) {
        state.index[node] = Some(state.counter);
        state.low[node] = state.counter;
        state.counter += 1;
        state.stack.push(node);
        state.on_stack[node] = true;
        for &to in state.next[node].iter() {
            match state.index[to] {
                None => {
                    visit(state, to);
                    state.low[node] = state.low[node].min(state.low[to]);
                }
                Some(to_index) if state.on_stack[to] => {
                    state.low[node] = state.low[node].min(to_index);
                }
                Some(_) => {}
            }
        }
        if Some(state.low[node]) == state.index[node] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack[top] = false;
                component.push(top);
                if top == node {
                    break;
                }
            }
            state.components.push(component);
        }
    }
    let count = next.len();
    let mut state = State {
        next,
        index: vec![None; count],
        low: vec![0; count],
        on_stack: vec![false; count],
        stack: Vec::new(),
        counter: 0,
        components: Vec::new(),
    };
    for node in 0..count {
        if state.index[node].is_none() {
            visit(&mut state, node);
        }
    }
    state.components
}

/// One cycle through a component, from its smallest file back to it.
fn one_cycle(next: &[BTreeSet<usize>], component: &[usize]) -> Vec<usize> {
    let members: BTreeSet<usize> = component.iter().copied().collect();
    let start = *members.iter().next().unwrap_or(&component[0]);
    // Breadth-first from start's successors back to start.
    let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &to in next[node].iter().filter(|to| members.contains(to)) {
            if to == start {
                let mut path = vec![start];
                let mut at = node;
                while at != start {
                    path.push(at);
                    at = came_from[&at];
                }
                path.push(start);
                let last = path.len() - 1;
                path[1..last].reverse();
                return path;
            }
            if let std::collections::btree_map::Entry::Vacant(entry) = came_from.entry(to) {
                entry.insert(node);
                queue.push_back(to);
            }
        }
    }
    component.to_vec()
}
