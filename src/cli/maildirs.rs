//! `mailadmin maildirs`: the maildirs on this mail host whose mailbox was deleted in the
//! dashboard, and, with `--purge-after-days`, their removal. Run on the mail host, as a user
//! that may read (and, to purge, remove) the mail store, e.g. daily from cron.
use super::CommandError;
use crate::services::hierarchy::maildirs;
use chrono::Utc;
use sea_orm::DatabaseConnection;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, clap::Args)]
pub struct MaildirArgs {
    /// The mail store: MAIL_ROOT/domain/local_part.ID/ (as given to `mail-config --mail-root`).
    #[arg(long, value_name = "DIR", default_value = "/var/vmail")]
    pub mail_root: PathBuf,
    /// Remove the maildirs of mailboxes deleted at least this many days ago (by the audit log's
    /// date, or the directory's last change when the log has none). Without it, only list.
    #[arg(long, value_name = "DAYS")]
    pub purge_after_days: Option<u32>,
    /// With --purge-after-days: say what would be removed, remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

struct Found {
    path: PathBuf,
    id: i32,
}

/// Every `domain/local_part.ID` directory under the mail root.
fn scan(root: &Path) -> Result<Vec<Found>, CommandError> {
    let read = |dir: &Path| {
        std::fs::read_dir(dir)
            .map_err(|e| CommandError::Failed(format!("cannot read {}: {e}", dir.display())))
    };
    let mut found = Vec::new();
    for domain in read(root)? {
        let domain = domain.map_err(|e| CommandError::Failed(e.to_string()))?;
        if !domain.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            continue;
        }
        for entry in read(&domain.path())? {
            let entry = entry.map_err(|e| CommandError::Failed(e.to_string()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = maildirs::mailbox_id_of(&name).filter(|_| entry.path().is_dir()) {
                found.push(Found { path: entry.path(), id });
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

pub async fn run(db: &DatabaseConnection, args: MaildirArgs) -> Result<(), CommandError> {
    let found = scan(&args.mail_root)?;
    let ids: Vec<i32> = found.iter().map(|f| f.id).collect();
    let deleted = maildirs::deleted_among(db, &ids).await?;
    let now = Utc::now();
    let (mut left, mut purged) = (0, 0);
    for f in found.iter().filter(|f| deleted.contains_key(&f.id)) {
        left += 1;
        let since = match deleted[&f.id] {
            Some(at) => at,
            None => std::fs::metadata(&f.path)
                .and_then(|m| m.modified())
                .map(chrono::DateTime::<Utc>::from)
                .unwrap_or(now),
        };
        let days = (now - since).num_days();
        let due = args.purge_after_days.is_some_and(|limit| days >= i64::from(limit));
        let verdict = match (due, args.dry_run) {
            (false, _) => "kept",
            (true, true) => "would be removed",
            (true, false) => {
                std::fs::remove_dir_all(&f.path)
                    .map_err(|e| CommandError::Failed(format!("cannot remove {}: {e}", f.path.display())))?;
                purged += 1;
                "removed"
            }
        };
        println!(
            "{}\tmailbox {} deleted {} ({days} days ago)\t{verdict}",
            f.path.display(),
            f.id,
            since.format("%Y-%m-%d")
        );
    }
    eprintln!(
        "{} maildirs under {}: {left} of deleted mailboxes, {purged} removed",
        found.len(),
        args.mail_root.display()
    );
    Ok(())
}
