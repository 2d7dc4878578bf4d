//! The GraphQL this source speaks: its query documents, and just enough of the language
//! to check a document's selected fields against the schema.
//!
//! The queries live in `queries/*.graphql` next to this file (as SQL lives in `sql/`),
//! and `schema.graphql` holds the part of Indico's schema they touch. A unit test checks
//! every query against it (a renamed field fails the build's tests, not a nightly run),
//! and the fake server uses the same check to reject an unknown field as a real
//! GraphQL server does. `graphql_client` would check at compile time, but its derive
//! needs the full introspection schema and generates its own types; hand-written serde
//! structs (`types.rs`) plus this test give the same guarantee for three queries.

use std::collections::BTreeMap;

/// One operation: its name (for errors and logs) and its text.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    pub name: &'static str,
    pub text: &'static str,
}

pub const USER_SUMMARY: Query = Query {
    name: "GetUserSummary",
    text: include_str!("queries/user_summary.graphql"),
};
pub const USER_SNAPSHOT: Query = Query {
    name: "GetUserSnapshot",
    text: include_str!("queries/user_snapshot.graphql"),
};
pub const USER_CHANGELOG: Query = Query {
    name: "GetUserChangelog",
    text: include_str!("queries/user_changelog.graphql"),
};
pub const QUERIES: [Query; 3] = [USER_SUMMARY, USER_SNAPSHOT, USER_CHANGELOG];

pub const SCHEMA_TEXT: &str = include_str!("schema.graphql");

/// `limit: Int = 100` on the paged queries.
pub const DEFAULT_LIMIT: usize = 100;

/// Object types and their fields' (unwrapped) type names, read from `schema.graphql`.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    types: BTreeMap<String, BTreeMap<String, String>>,
}

/// A selected field and what is selected below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub name: String,
    pub children: Vec<Selection>,
}

/// A parsed operation: `query` or `mutation`, and its top-level selections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub kind: String,
    pub selections: Vec<Selection>,
}

impl Schema {
    /// Reads `type Name { field(args): Type }` blocks, one field per line. Enums,
    /// inputs and scalars are skipped: only object fields can be selected.
    pub fn parse(text: &str) -> Schema {
        let mut types = BTreeMap::new();
        let mut current: Option<(String, BTreeMap<String, String>)> = None;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("type ") {
                let name = rest.trim_end_matches('{').trim().to_string();
                current = Some((name, BTreeMap::new()));
            } else if line == "}" {
                if let Some((name, fields)) = current.take() {
                    types.insert(name, fields);
                }
            } else if let Some((_, fields)) = current.as_mut() {
                let name_end = line.find(['(', ':']).unwrap_or(line.len());
                let name = line[..name_end].trim().to_string();
                // The return type follows the last `:` (arguments have their own).
                let returns = line.rsplit(':').next().unwrap_or("");
                let type_name: String = returns
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                fields.insert(name, type_name);
            }
        }
        Schema { types }
    }

    /// The built-in schema of this source.
    pub fn indico() -> Schema {
        Schema::parse(SCHEMA_TEXT)
    }

    fn field_type(&self, type_name: &str, field: &str) -> Option<&str> {
        self.types.get(type_name)?.get(field).map(String::as_str)
    }

    fn is_object(&self, type_name: &str) -> bool {
        self.types.contains_key(type_name)
    }

    /// Every problem of `operation` against this schema, in the wording of
    /// graphql-core (the library Indico's server is built on): an unknown field, a
    /// leaf with a selection, an object without one.
    pub fn validate(&self, operation: &Operation) -> Vec<String> {
        let root = match operation.kind.as_str() {
            "mutation" => "Mutation",
            _ => "Query",
        };
        let mut problems = Vec::new();
        self.validate_selections(root, &operation.selections, &mut problems);
        problems
    }

    fn validate_selections(&self, parent: &str, selections: &[Selection], out: &mut Vec<String>) {
        for selection in selections {
            if selection.name == "__typename" {
                continue;
            }
            let Some(field_type) = self.field_type(parent, &selection.name) else {
                out.push(format!(
                    "Cannot query field '{}' on type '{parent}'.",
                    selection.name
                ));
                continue;
            };
            match (self.is_object(field_type), selection.children.is_empty()) {
                (true, true) => out.push(format!(
                    "Field '{}' of type '{field_type}' must have a selection of subfields.",
                    selection.name
                )),
                (false, false) => out.push(format!(
                    "Field '{}' must not have a selection since type '{field_type}' has no subfields.",
                    selection.name
                )),
                (true, false) => self.validate_selections(field_type, &selection.children, out),
                (false, true) => {}
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Name(String),
    Punct(char),
    Text,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '#' => while chars.next_if(|c| *c != '\n').is_some() {},
            c if c.is_whitespace() || c == ',' => {
                chars.next();
            }
            '"' => {
                chars.next();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return Err("Syntax Error: Unterminated string.".into());
                }
                tokens.push(Token::Text);
            }
            c if c.is_alphanumeric() || c == '_' || c == '-' => {
                let mut name = String::new();
                while let Some(c) =
                    chars.next_if(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
                {
                    name.push(c);
                }
                tokens.push(Token::Name(name));
            }
            '{' | '}' | '(' | ')' | ':' | '$' | '!' | '[' | ']' | '=' | '@' => {
                chars.next();
                tokens.push(Token::Punct(c));
            }
            other => return Err(format!("Syntax Error: Unexpected character {other:?}.")),
        }
    }
    Ok(tokens)
}

/// Parses the first operation of a document: `query Name($v: T) { ... }` or a bare
/// `{ ... }`. Arguments and variable definitions are skipped (balanced), aliases are
/// read through (`alias: field`); fragments are not supported (our queries have none).
pub fn parse_operation(text: &str) -> Result<Operation, String> {
    let tokens = tokenize(text)?;
    let mut pos = 0;
    let kind = match tokens.first() {
        Some(Token::Name(k)) if k == "query" || k == "mutation" => {
            pos += 1;
            k.clone()
        }
        Some(Token::Punct('{')) => "query".to_string(),
        _ => return Err("Syntax Error: Expected an operation.".into()),
    };
    if let Some(Token::Name(_)) = tokens.get(pos) {
        pos += 1;
    }
    if tokens.get(pos) == Some(&Token::Punct('(')) {
        pos = skip_balanced(&tokens, pos, '(', ')')?;
    }
    let (selections, end) = parse_selection_set(&tokens, pos)?;
    if end != tokens.len() {
        return Err("Syntax Error: Unexpected tokens after the operation.".into());
    }
    Ok(Operation { kind, selections })
}

fn skip_balanced(tokens: &[Token], start: usize, open: char, close: char) -> Result<usize, String> {
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(start) {
        if *token == Token::Punct(open) {
            depth += 1;
        } else if *token == Token::Punct(close) {
            depth -= 1;
            if depth == 0 {
                return Ok(i + 1);
            }
        }
    }
    Err(format!("Syntax Error: Expected '{close}'."))
}

/// `{ field field(args) { ... } }` starting at `pos`; returns the selections and the
/// position after the closing brace.
fn parse_selection_set(tokens: &[Token], pos: usize) -> Result<(Vec<Selection>, usize), String> {
    if tokens.get(pos) != Some(&Token::Punct('{')) {
        return Err("Syntax Error: Expected '{'.".into());
    }
    let mut pos = pos + 1;
    let mut selections = Vec::new();
    loop {
        match tokens.get(pos) {
            Some(Token::Punct('}')) => return Ok((selections, pos + 1)),
            Some(Token::Name(first)) => {
                let mut name = first.clone();
                pos += 1;
                if tokens.get(pos) == Some(&Token::Punct(':')) {
                    match tokens.get(pos + 1) {
                        Some(Token::Name(field)) => name = field.clone(),
                        _ => return Err("Syntax Error: Expected a field after an alias.".into()),
                    }
                    pos += 2;
                }
                if tokens.get(pos) == Some(&Token::Punct('(')) {
                    pos = skip_balanced(tokens, pos, '(', ')')?;
                }
                let mut children = Vec::new();
                if tokens.get(pos) == Some(&Token::Punct('{')) {
                    let (nested, next) = parse_selection_set(tokens, pos)?;
                    children = nested;
                    pos = next;
                }
                selections.push(Selection { name, children });
            }
            _ => return Err("Syntax Error: Expected a field name or '}'.".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_matches_the_schema() {
        let schema = Schema::indico();
        for query in QUERIES {
            let operation = parse_operation(query.text).unwrap();
            assert_eq!(operation.kind, "query");
            assert!(
                query.text.contains(&format!("query {}", query.name)),
                "{} names its operation",
                query.name
            );
            assert_eq!(
                schema.validate(&operation),
                Vec::<String>::new(),
                "{}",
                query.name
            );
        }
    }

    #[test]
    fn the_changelog_query_asks_for_every_field_of_the_type() {
        let schema = Schema::indico();
        let operation = parse_operation(USER_CHANGELOG.text).unwrap();
        let results = &operation.selections[0].children[0];
        assert_eq!(results.name, "results");
        let asked: Vec<&str> = results.children.iter().map(|s| s.name.as_str()).collect();
        let all: Vec<&str> = schema.types["UserChangelog"]
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(all.len(), 14);
        for field in all {
            assert!(asked.contains(&field), "{field} is not asked for");
        }
    }

    #[test]
    fn unknown_fields_and_bad_selections_are_reported() {
        let schema = Schema::indico();
        let op = parse_operation(
            "query { userSummary(date: \"2026-11-01\") { users { enabled sleeping } appRoles } }",
        )
        .unwrap();
        assert_eq!(
            schema.validate(&op),
            [
                "Cannot query field 'sleeping' on type 'EnabledCount'.",
                "Field 'appRoles' of type 'RoleCount' must have a selection of subfields."
            ]
        );
        let op = parse_operation("{ userSnapshot { pageInfo { endCursor { x } } } }").unwrap();
        assert_eq!(
            schema.validate(&op),
            ["Field 'endCursor' must not have a selection since type 'Int' has no subfields."]
        );
        let op = parse_operation("query Q { total: userChangelog { results { id } } }").unwrap();
        assert!(
            schema.validate(&op).is_empty(),
            "aliases resolve to the field"
        );
        assert!(parse_operation("query { userSummary { users ").is_err());
        assert!(parse_operation("query { a(x: \"unterminated) }").is_err());
    }
}
