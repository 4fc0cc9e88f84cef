//! `mailadmin maildirs`: a deleted mailbox's stored mail stays on the mail host until the
//! operator purges it; the command finds it by the id in the maildir's name and removes it only
//! when asked and old enough. A living mailbox's maildir is never touched.
use crate::db_tests;
use crate::helpers::*;
use mailadmin::services::access::admins;
use mailadmin::services::hierarchy::mailboxes;
use std::process::Command;

fn maildirs(database_url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailadmin"))
        .arg("maildirs")
        .args(args)
        .env("MAILADMIN_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run mailadmin maildirs");
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

db_tests! {
    async fn the_maildirs_of_deleted_mailboxes_are_listed_and_purged_on_request(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let root = std::env::temp_dir().join(format!("ma-vmail-{:08x}", rand::random::<u32>()));
        let living = root.join(format!("alpha.example/anna.{}", f.mailbox_a));
        let gone = root.join(format!("alpha.example/anke.{}", f.mailbox_a2));
        for dir in [&living, &gone] {
            std::fs::create_dir_all(dir.join("Maildir/cur")).unwrap();
        }
        mailboxes::delete(&app.db, &admins::system_actor("test"), f.mailbox_a2).await.unwrap();
        let root_arg = root.to_str().unwrap();

        let (ok, listed) = maildirs(&app.database_url, &["--mail-root", root_arg]);
        assert!(ok, "{listed}");
        assert!(listed.contains(&format!("mailbox {} deleted", f.mailbox_a2)) && listed.contains("kept"), "{listed}");
        assert!(!listed.contains(&format!("mailbox {} ", f.mailbox_a)), "a living mailbox is not listed: {listed}");
        assert!(listed.contains("2 maildirs under"), "{listed}");

        let (_, later) = maildirs(&app.database_url, &["--mail-root", root_arg, "--purge-after-days", "30"]);
        assert!(later.contains("(0 days ago)\tkept"), "deleted today, kept for 30 days: {later}");
        let (_, dry) = maildirs(&app.database_url, &["--mail-root", root_arg, "--purge-after-days", "0", "--dry-run"]);
        assert!(dry.contains("would be removed") && gone.exists(), "{dry}");
        let (ok, purged) = maildirs(&app.database_url, &["--mail-root", root_arg, "--purge-after-days", "0"]);
        assert!(ok && purged.contains("removed") && purged.contains("1 removed"), "{purged}");
        assert!(!gone.exists(), "the deleted mailbox's maildir is gone");
        assert!(living.join("Maildir/cur").exists(), "the living mailbox's maildir is untouched");

        let (ok, missing) = maildirs(&app.database_url, &["--mail-root", "/nonexistent/vmail"]);
        assert!(!ok && missing.contains("cannot read /nonexistent/vmail"), "{missing}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
