//! The checked-in `schema.graphql` is exactly `authql schema`, and it holds
//! every type, field, argument, input field and enum value of the contract
//! with the same type and default, but for the items listed as not built
//! yet, each of which must really still be missing (so the list only shrinks).

use std::collections::BTreeMap;
use std::io::Write;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

/// "Type", "Type.field", "Type.field(arg)" and "Enum.VALUE" → kind or type
/// (with the default of an argument or input field).
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
                    let default = field
                        .node
                        .default_value
                        .as_ref()
                        .map(|v| format!(" = {}", v.node));
                    found.insert(
                        format!("{name}.{}", field.node.name.node),
                        format!("{}{}", field.node.ty.node, default.unwrap_or_default()),
                    );
                }
            }
            TypeKind::Enum(enumeration) => {
                for value in &enumeration.values {
                    found.insert(
                        format!("{name}.{}", value.node.value.node),
                        "value".to_owned(),
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
        checked_in == authql::api::graphql::sdl(),
        "schema.graphql differs from `authql schema`; regenerate it with `cargo run -- schema > schema.graphql`"
    );
}

/// Contract items that are not built yet, each with the part of the contract
/// (a section of the API notes) that brings it. An item leaves this list when
/// it is built; the list is empty once the whole contract is.
const NOT_BUILT_YET: &[(&str, &str)] = &[
    ("AccountStatus", "Admin"),
    ("AccountStatus.ACTIVE", "Admin"),
    ("AccountStatus.DISABLED", "Admin"),
    ("AccountStatus.UNVERIFIED", "Admin"),
    ("AdminUser", "Admin"),
    ("AdminUser.createdAt", "Admin"),
    ("AdminUser.email", "Admin"),
    ("AdminUser.emailVerified", "Admin"),
    ("AdminUser.id", "Admin"),
    ("AdminUser.lastSignInAt", "Admin"),
    ("AdminUser.mfa", "Admin"),
    ("AdminUser.role", "Admin"),
    ("AdminUser.securityEvents", "Admin"),
    ("AdminUser.securityEvents(before)", "Admin"),
    ("AdminUser.securityEvents(first)", "Admin"),
    ("AdminUser.sessions", "Admin"),
    ("AdminUser.status", "Admin"),
    ("AdminUser.userName", "Admin"),
    ("AuditEntry", "Admin"),
    ("AuditEntry.action", "Admin"),
    ("AuditEntry.actorId", "Admin"),
    ("AuditEntry.actorName", "Admin"),
    ("AuditEntry.at", "Admin"),
    ("AuditEntry.detail", "Admin"),
    ("AuditEntry.id", "Admin"),
    ("AuditEntry.ipAddress", "Admin"),
    ("AuditEntry.targetUserId", "Admin"),
    ("Mutation.endUserSessions", "Admin"),
    ("Mutation.endUserSessions(sessionId)", "Admin"),
    ("Mutation.endUserSessions(userId)", "Admin"),
    ("Mutation.inviteUser", "Admin"),
    ("Mutation.inviteUser(email)", "Admin"),
    ("Mutation.inviteUser(role)", "Admin"),
    ("Mutation.resetUserFactors", "Admin"),
    ("Mutation.resetUserFactors(userId)", "Admin"),
    ("Mutation.sendPasswordReset", "Admin"),
    ("Mutation.sendPasswordReset(userId)", "Admin"),
    ("Mutation.setUserRole", "Admin"),
    ("Mutation.setUserRole(role)", "Admin"),
    ("Mutation.setUserRole(userId)", "Admin"),
    ("Mutation.setUserStatus", "Admin"),
    ("Mutation.setUserStatus(status)", "Admin"),
    ("Mutation.setUserStatus(userId)", "Admin"),
    ("Query.auditLog", "Admin"),
    ("Query.auditLog(before)", "Admin"),
    ("Query.auditLog(first)", "Admin"),
    ("Query.user", "Admin"),
    ("Query.user(id)", "Admin"),
    ("Query.users", "Admin"),
    ("Query.users(after)", "Admin"),
    ("Query.users(first)", "Admin"),
    ("Query.users(query)", "Admin"),
    ("UserPage", "Admin"),
    ("UserPage.endCursor", "Admin"),
    ("UserPage.hasNextPage", "Admin"),
    ("UserPage.nodes", "Admin"),
    ("UserPage.totalCount", "Admin"),
];

/// Where the contract lives: beside the repository, as CI checks it out.
const CONTRACT_SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/contract/schema.graphql"
);

/// The contract's schema, or None (said on the terminal) when this clone has
/// no contract beside it and `AUTHQL_REQUIRE_CONTRACT` is unset. CI sets that
/// variable, so there a missing contract fails the run instead.
fn contract_schema() -> Option<String> {
    match std::fs::read_to_string(CONTRACT_SCHEMA) {
        Ok(contract) => Some(contract),
        Err(error) => {
            assert!(
                std::env::var_os("AUTHQL_REQUIRE_CONTRACT").is_none(),
                "AUTHQL_REQUIRE_CONTRACT is set but the contract cannot be read at {CONTRACT_SCHEMA}: {error}"
            );
            // Straight to the terminal: the test harness captures println!.
            let _ = writeln!(
                std::io::stderr(),
                "\nNOTE: the schema was NOT checked against the contract: {CONTRACT_SCHEMA} cannot be read ({error}).\n"
            );
            None
        }
    }
}

#[test]
fn schema_contains_the_whole_contract() {
    let Some(contract) = contract_schema() else {
        return;
    };
    let ours = signatures(&authql::api::graphql::sdl());
    let wanted = signatures(&contract);
    assert!(wanted.len() > 30, "the contract parsed: {wanted:?}");
    let mut problems = Vec::new();
    for (item, part) in NOT_BUILT_YET {
        match wanted.get(*item) {
            None => problems.push(format!(
                "{item} is listed as not built but is not in the contract"
            )),
            Some(ty) if ours.get(*item) == Some(ty) => problems.push(format!(
                "{item} is built now ({ty}): take it off NOT_BUILT_YET ({part})"
            )),
            Some(_) => {}
        }
    }
    for (item, ty) in &wanted {
        let listed = NOT_BUILT_YET.iter().any(|(name, _)| name == item);
        if !listed && ours.get(item) != Some(ty) {
            problems.push(format!(
                "{item} must be {ty}, found {}",
                ours.get(item).map_or("nothing", String::as_str)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
