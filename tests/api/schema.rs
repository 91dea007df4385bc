//! The checked-in `schema.graphql` is exactly `authql schema`, and it holds
//! every type, field and argument of the contract with the same type.

use std::collections::BTreeMap;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

/// "Type.field" and "Type.field(arg)" → type (with default for arguments).
fn signatures(sdl: &str) -> BTreeMap<String, String> {
    let document = parse_schema(sdl).expect("valid SDL");
    let mut found = BTreeMap::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let name = ty.node.name.node.to_string();
        found.insert(name.clone(), kind_name(&ty.node.kind).to_owned());
        match &ty.node.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field_name = format!("{name}.{}", field.node.name.node);
                    found.insert(field_name.clone(), field.node.ty.node.to_string());
                    for arg in &field.node.arguments {
                        let default = arg
                            .node
                            .default_value
                            .as_ref()
                            .map(|v| format!(" = {}", v.node));
                        found.insert(
                            format!("{field_name}({})", arg.node.name.node),
                            format!("{}{}", arg.node.ty.node, default.unwrap_or_default()),
                        );
                    }
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    found.insert(
                        format!("{name}.{}", field.node.name.node),
                        field.node.ty.node.to_string(),
                    );
                }
            }
            _ => {}
        }
    }
    found
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Scalar => "scalar",
        TypeKind::Object(_) => "type",
        TypeKind::Interface(_) => "interface",
        TypeKind::Union(_) => "union",
        TypeKind::Enum(_) => "enum",
        TypeKind::InputObject(_) => "input",
    }
}

#[test]
fn checked_in_schema_is_the_generated_one() {
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
            .expect("schema.graphql at the root");
    assert!(
        checked_in == authql::graphql::sdl(),
        "schema.graphql differs from `authql schema`; regenerate it with `cargo run -- schema > schema.graphql`"
    );
}

#[test]
fn schema_contains_the_whole_contract() {
    let contract = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/contract/schema.graphql"
    ))
    .expect("the contract beside the repository");
    let ours = signatures(&authql::graphql::sdl());
    let wanted = signatures(&contract);
    assert!(wanted.len() > 30, "the contract parsed: {wanted:?}");
    for (item, ty) in &wanted {
        assert_eq!(ours.get(item), Some(ty), "{item} must be {ty}");
    }
}
