//! Hand-written SQL for the two queries the ORM's builder would obscure (the keyset mailbox
//! list and the substring look-up). Written with `?` placeholders, numbered for PostgreSQL.
use sea_orm::{DbBackend, Statement, Value};

pub(crate) fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => number_placeholders(sql),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn number_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(ch);
        }
    }
    out
}

/// `%needle%` for LIKE, with the wildcards in the needle escaped by `\`.
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for ch in needle.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// ` AND …` narrowing a query to the actor's scope, its values pushed onto `values`: the
/// company column and the domain column to compare, e.g. `s.company_id`, `s.domain_id`.
pub(crate) fn scope_filter(
    actor: &crate::authz::Actor,
    company_column: &str,
    domain_column: &str,
    values: &mut Vec<Value>,
) -> String {
    use crate::authz::Scope;
    match actor.scope() {
        Scope::Everything => String::new(),
        Scope::Company(id) => {
            values.push(id.into());
            format!(" AND {company_column} = ?")
        }
        Scope::Domains(ids) => {
            let marks = placeholders(ids.len());
            if ids.is_empty() {
                values.push((-1).into());
            }
            values.extend(ids.into_iter().map(Value::from));
            format!(" AND {domain_column} IN ({marks})")
        }
    }
}

/// `?, ?, ?` for an IN list of `n` values (at least one, so the SQL stays valid).
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n.max(1)].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(number_placeholders("a = ? AND b IN (?, ?)"), "a = $1 AND b IN ($2, $3)");
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(contains_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
    }
}
