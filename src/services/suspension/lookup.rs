//! The support look-up: any substring of an address, across the actor's whole scope, answered
//! from the substring index (SQLite FTS5 trigram, PostgreSQL pg_trgm).
use crate::authz::{Actor, Scope};
use crate::domain::ServiceSet;
use crate::services::{common::ServiceError, common::sql};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

/// How many matches one look-up shows; more means "refine the search".
pub const LIMIT: usize = 50;
/// Trigram indexes need three characters to narrow anything down.
pub const MIN_QUERY_CHARS: usize = 3;

#[derive(Debug, Clone)]
pub struct LookupRow {
    pub mailbox_id: i32,
    pub address: String,
    pub display_name: String,
    pub services: ServiceSet,
    pub domain_id: i32,
    pub domain_name: String,
    pub company_id: i32,
    pub company_name: String,
    /// Where its mail is forwarded ('' for nowhere) and whether a copy stays.
    pub forward_to: String,
    pub forward_keep_copy: bool,
    /// false: the mail servers refuse the domain's mail and logins.
    pub domain_active: bool,
    /// The company is suspended: the same for all its domains.
    pub company_active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct LookupResult {
    pub rows: Vec<LookupRow>,
    /// More than [`LIMIT`] mailboxes matched.
    pub truncated: bool,
}

/// How common a character is in addresses, roughly: letters by their frequency in names, `@`
/// (in every address) highest, digits and punctuation low. Only steers the choice of probes.
fn commonness(ch: char) -> u32 {
    match ch {
        '@' => 10,
        'e' | 'a' | 'n' | 'i' | 'r' => 6,
        'l' | 'o' | 't' | 's' | 'h' | 'c' | 'm' | 'u' => 5,
        'd' | 'k' | 'g' | 'b' | 'p' | 'f' | 'w' => 3,
        c if c.is_ascii_alphabetic() => 2,
        _ => 1,
    }
}

/// Up to three trigrams of `needle` for the substring index to intersect: the first, the last,
/// and the rarest-looking one between; the whole needle is then checked on the rows they find.
/// Asking the index for every trigram of a long needle read every trigram's posting list: over
/// a million addresses 1.4 ms on SQLite and 25 ms on PostgreSQL for "ulrich.keller3", against
/// 0.3 ms and 0.5 ms with three. `word_chars_only` keeps to letters and digits (pg_trgm).
fn probes(needle: &str, word_chars_only: bool) -> Vec<String> {
    let chars: Vec<char> = needle.chars().collect();
    let trigrams: Vec<&[char]> =
        chars.windows(3).filter(|w| !word_chars_only || w.iter().all(|c| c.is_alphanumeric())).collect();
    let (Some(first), Some(last)) = (trigrams.first(), trigrams.last()) else {
        return Vec::new();
    };
    let score = |t: &[char]| t.iter().map(|c| commonness(*c)).sum::<u32>();
    let rarest = trigrams[1..trigrams.len().saturating_sub(1).max(1)].iter().min_by_key(|t| score(t));
    let mut chosen: Vec<String> = Vec::new();
    for t in [Some(first), rarest, Some(last)].into_iter().flatten() {
        let t: String = t.iter().collect();
        if !chosen.contains(&t) {
            chosen.push(t);
        }
    }
    chosen
}

pub async fn search(
    db: &DatabaseConnection,
    actor: &Actor,
    query: &str,
) -> Result<LookupResult, ServiceError> {
    let needle = query.trim().to_lowercase();
    if needle.chars().count() < MIN_QUERY_CHARS {
        return Err(ServiceError::Invalid(crate::services::common::FieldErrors::single(
            "q",
            format!("Type at least {MIN_QUERY_CHARS} characters of the address."),
        )));
    }
    let backend = db.get_database_backend();
    let (from, mut values): (String, Vec<sea_orm::Value>) = match backend {
        // Quoted FTS5 strings, each matched as a substring by the trigram tokenizer.
        DbBackend::Sqlite => (
            "mailbox_search s JOIN mailbox m ON m.id = s.rowid \
             JOIN domain d ON d.id = m.domain_id JOIN company c ON c.id = d.company_id \
             WHERE mailbox_search MATCH ? AND instr(m.address, ?) > 0"
                .to_owned(),
            vec![
                probes(&needle, false)
                    .iter()
                    .map(|p| format!("\"{}\"", p.replace('"', "\"\"")))
                    .collect::<Vec<_>>()
                    .join(" AND ")
                    .into(),
                needle.clone().into(),
            ],
        ),
        _ => {
            // pg_trgm makes trigrams of letters and digits only; a needle without three in a
            // row is matched whole (the index then narrows down less).
            let probes = probes(&needle, true);
            let probes = if probes.is_empty() { vec![needle.clone()] } else { probes };
            let likes = vec!["m.address LIKE ? ESCAPE '\\'"; probes.len()].join(" AND ");
            let mut values: Vec<sea_orm::Value> =
                probes.iter().map(|p| sql::contains_pattern(p).into()).collect();
            values.push(needle.clone().into());
            (
                format!(
                    "mailbox m JOIN domain d ON d.id = m.domain_id JOIN company c ON c.id = d.company_id \
                     WHERE {likes} AND strpos(m.address, ?) > 0"
                ),
                values,
            )
        }
    };
    let mut scope_filter = String::new();
    match actor.scope() {
        Scope::Everything => {}
        Scope::Company(id) => {
            scope_filter.push_str(" AND d.company_id = ?");
            values.push(id.into());
        }
        Scope::Domains(ids) => {
            scope_filter.push_str(&format!(" AND d.id IN ({})", sql::placeholders(ids.len())));
            if ids.is_empty() {
                values.push((-1).into());
            }
            values.extend(ids.into_iter().map(sea_orm::Value::from));
        }
    }
    // No ORDER BY: sorting every match of a common substring would cost what the index saved.
    let query = format!(
        "SELECT m.id, m.address, m.display_name, m.svc_send_mail, m.svc_receive_mail, m.svc_imap, \
           m.svc_pop3, m.svc_webmail_login, m.svc_webmail_send, d.id AS domain_id, \
           d.name AS domain_name, c.id AS company_id, c.name AS company_name, m.forward_to, \
           m.forward_keep_copy, d.active AS domain_active, c.status AS company_status \
         FROM {from}{scope_filter} LIMIT {}",
        LIMIT + 1
    );
    let rows = db.query_all_raw(sql::statement(backend, &query, values)).await?;
    let mut rows = rows
        .iter()
        .map(|row| {
            Ok(LookupRow {
                mailbox_id: row.try_get("", "id")?,
                address: row.try_get("", "address")?,
                display_name: row.try_get("", "display_name")?,
                services: crate::services::hierarchy::service_columns::services_from_row(row)?,
                domain_id: row.try_get("", "domain_id")?,
                domain_name: row.try_get("", "domain_name")?,
                company_id: row.try_get("", "company_id")?,
                company_name: row.try_get("", "company_name")?,
                forward_to: row.try_get("", "forward_to")?,
                forward_keep_copy: row.try_get("", "forward_keep_copy")?,
                domain_active: row.try_get("", "domain_active")?,
                company_active: row.try_get::<String>("", "company_status")? == "active",
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    let truncated = rows.len() > LIMIT;
    rows.truncate(LIMIT);
    rows.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(LookupResult { rows, truncated })
}

#[cfg(test)]
mod tests {
    use super::probes;

    #[test]
    fn probes_are_the_first_the_last_and_the_rarest_looking_trigram_between() {
        assert_eq!(probes("ulrich.keller3", false), ["ulr", "h.k", "er3"]);
        assert_eq!(probes("ulrich.keller3", true), ["ulr", "kel", "er3"]);
        assert_eq!(probes("anna", false), ["ann", "nna"]);
        assert_eq!(probes("bob", false), ["bob"]);
        assert!(probes("a.b.c", true).is_empty(), "no three letters or digits in a row");
    }
}
