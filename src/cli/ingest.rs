//! `mailadmin ingest-arf`: one report on standard input, from a Postfix `pipe` transport or an
//! aliases(5) entry. The exit status tells the MTA what to do (sysexits.h): 0 stored (or a
//! duplicate), 65 not a report (kept in quarantine: bounce it), 75 the database is unreachable
//! (keep the message and retry later, so nothing is lost).
use crate::config::IntakeArgs;
use crate::intake::arf;
use crate::services::complaints::intake::{self as complaints};
use crate::services::complaints::outcome::{Outcome, Source};
use crate::services::notices::outbox::NoticeSettings;
use std::io::Read;
use std::process::ExitCode;

pub const EX_OK: u8 = 0;
pub const EX_DATAERR: u8 = 65;
pub const EX_TEMPFAIL: u8 = 75;

pub async fn run(database_url: &str, intake: &IntakeArgs) -> ExitCode {
    let mut raw = Vec::new();
    let limit = intake.max_report_bytes;
    // Read one byte past the limit to know whether the report is too large.
    if let Err(e) = std::io::stdin().lock().take(limit as u64 + 1).read_to_end(&mut raw) {
        eprintln!("ingest-arf: cannot read standard input: {e}");
        return ExitCode::from(EX_TEMPFAIL);
    }
    // An MTA waits for this process; when the database is down, say so soon and let it retry.
    let db = match crate::db::connect_within(database_url, std::time::Duration::from_secs(3)).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!(
                "ingest-arf: database {} unreachable, try again later: {e}",
                crate::db::redacted(database_url)
            );
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    if let Err(e) = crate::db::migrate(&db).await {
        eprintln!("ingest-arf: database not ready, try again later: {e}");
        return ExitCode::from(EX_TEMPFAIL);
    }
    let parsed = if raw.len() > limit {
        Err(format!("larger than {limit} bytes"))
    } else {
        arf::parse(&raw, limit).map_err(|e| e.to_string())
    };
    let report = match parsed {
        Ok(report) => report,
        Err(reason) => {
            return match complaints::quarantine(&db, &raw, Source::Cli, &reason).await {
                Ok(id) => {
                    eprintln!("ingest-arf: not a feedback report ({reason}); kept in quarantine as #{id}");
                    ExitCode::from(EX_DATAERR)
                }
                Err(e) => {
                    eprintln!("ingest-arf: could not quarantine the message, try again later: {e}");
                    ExitCode::from(EX_TEMPFAIL)
                }
            };
        }
    };
    let settings = NoticeSettings {
        platform_address: intake.platform_abuse_address.clone(),
        public_url: intake.public_url.clone().unwrap_or_else(|| "http://127.0.0.1:8080/".into()),
    };
    match complaints::store(&db, &settings, &report, Source::Cli).await {
        Ok(Outcome::Stored { complaint_id, suspended, .. }) => {
            println!(
                "stored complaint #{complaint_id}{}",
                if suspended { "; Send Mail soft-suspended" } else { "" }
            );
            ExitCode::from(EX_OK)
        }
        Ok(Outcome::Duplicate { complaint_id }) => {
            println!("duplicate of complaint #{complaint_id}; counted once");
            ExitCode::from(EX_OK)
        }
        Err(e) => {
            eprintln!("ingest-arf: could not store the report, try again later: {e}");
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}
