//! Retention: the daily pruning removes exactly what the policy calls old — complaint samples
//! (the complaints stay), quarantined reports, sent notices (never queued ones), sign-in records
//! — in batches, keeps the audit log and suspension records by default, and the audit log's
//! guard still refuses any other delete. The platform's settings page validates, saves with an
//! audit entry, and prunes on request.
use crate::db_tests;
use crate::helpers::*;
use chrono::{Duration, Utc};
use mailadmin::domain::RetentionPolicy;
use mailadmin::entity::{audit_entry, complaint, notice, quarantine};
use mailadmin::services::retention;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set, Statement};

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn old_and_new_records(db: &DatabaseConnection, company_id: i32) {
    let now = Utc::now();
    for (days, n) in [(400, "old"), (10, "new")] {
        let at = now - Duration::days(days);
        complaint::ActiveModel {
            received_at: Set(at),
            feedback_type: Set("abuse".into()),
            counts: Set(true),
            sender: Set(format!("{n}@elsewhere.example")),
            source: Set("api".into()),
            original: Set(Some("Subject: the sample\r\n\r\nbody".into())),
            original_headers_only: Set(false),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        for status in ["sent", "queued"] {
            notice::ActiveModel {
                created_at: Set(at),
                kind: Set("aup".into()),
                company_id: Set(company_id),
                mailbox_address: Set("anna@alpha.example".into()),
                recipients: Set("abuse@alpha.example".into()),
                to_platform: Set(false),
                subject: Set("AUP Notice".into()),
                body: Set("…".into()),
                sample_ids: Set(String::new()),
                status: Set(status.into()),
                attempts: Set(1),
                next_attempt_at: Set(at),
                sent_at: Set((status == "sent").then_some(at)),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
        }
        for (kind, action) in [("session", "sign_in_failed"), ("mailbox", "update")] {
            audit_entry::ActiveModel {
                at: Set(at),
                actor_login: Set("plat".into()),
                actor_role: Set("platform".into()),
                client_addr: Set("192.0.2.10".into()),
                object_kind: Set(kind.into()),
                object_label: Set(n.into()),
                action: Set(action.into()),
                before: Set("null".into()),
                after: Set("null".into()),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
        }
    }
    // Enough old quarantined messages for three batches.
    let rows: Vec<quarantine::ActiveModel> = (0..retention::BATCH as i64 * 2 + 7)
        .map(|i| quarantine::ActiveModel {
            received_at: Set(now - Duration::days(200) - Duration::seconds(i)),
            source: Set("api".into()),
            reason: Set("not a report".into()),
            raw: Set("junk".into()),
            size: Set(4),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(200) {
        quarantine::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await.unwrap();
    }
    quarantine::ActiveModel {
        received_at: Set(now - Duration::days(1)),
        source: Set("api".into()),
        reason: Set("not a report".into()),
        raw: Set("junk".into()),
        size: Set(4),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

db_tests! {
    async fn pruning_removes_exactly_what_the_policy_calls_old(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        suspend_send_mail(&app.db, f.mailbox_a).await;
        old_and_new_records(&app.db, f.company_a).await;
        let audit_before = count(&app.db, "SELECT COUNT(*) FROM audit_entry WHERE object_kind <> 'session'").await;
        let suspensions = count(&app.db, "SELECT COUNT(*) FROM suspension").await;

        let pruned = retention::prune(&app.db, &RetentionPolicy::default(), Utc::now()).await.unwrap();
        assert_eq!(
            (pruned.complaint_samples, pruned.quarantine, pruned.sent_notices, pruned.sign_ins, pruned.audit),
            (1, retention::BATCH as u64 * 2 + 7, 1, 1, 0),
            "{pruned}"
        );
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM complaint").await, 2, "complaints stay, for the counts");
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM complaint WHERE original IS NULL").await, 1);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM quarantine").await, 1);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM notice WHERE status = 'queued'").await, 2, "queued notices are never pruned");
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM notice WHERE status = 'sent'").await, 1);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM audit_entry WHERE object_kind = 'session'").await, 1);
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM audit_entry WHERE object_kind <> 'session'").await, audit_before, "the audit log is kept by default");
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM suspension").await, suspensions, "suspension records are never pruned");
        assert!(retention::last_run(&app.db).await.unwrap().unwrap().contains("1 complaint samples"));

        // The audit log's guard still refuses a delete that no retention run asked for.
        assert!(app.db.execute_unprepared("DELETE FROM audit_entry WHERE object_kind = 'mailbox'").await.is_err());
        // With an audit retention set, its old entries go too.
        let policy = RetentionPolicy { audit: Some(30), ..Default::default() };
        let again = retention::prune(&app.db, &policy, Utc::now()).await.unwrap();
        assert_eq!((again.audit, again.quarantine), (1, 0), "{again}");
        assert!(app.db.execute_unprepared("DELETE FROM audit_entry").await.is_err(), "the horizon is cleared after the run");
    }

    async fn the_platform_sets_retention_and_prunes_now(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        old_and_new_records(&app.db, f.company_a).await;
        let client = app.signed_in("plat").await;
        let page = client.get("/settings/retention").await;
        assert_eq!(page.attrs("input[name=complaint_samples]", "value"), vec!["180"]);
        assert_eq!(page.attrs("input[name=audit]", "value"), vec![""]);
        let fields = |samples: &'static str| {
            [("complaint_samples", samples), ("quarantine", "90"), ("sent_notices", "365"), ("sign_ins", ""), ("audit", "")]
        };
        let refused = client.post("/settings/retention", &fields("0")).await;
        assert_eq!(refused.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.attrs("input[name=complaint_samples]", "value"), vec!["0"]);
        assert_eq!(refused.attrs("input[name=quarantine]", "value"), vec!["90"]);
        assert!(refused.text("#complaint_samples-error").starts_with("Enter a number of days from 1"));
        let saved = client.post("/settings/retention", &fields("30")).await;
        assert_eq!(saved.status, reqwest::StatusCode::SEE_OTHER);
        let policy = retention::policy(&app.db).await.unwrap();
        assert_eq!((policy.complaint_samples, policy.quarantine, policy.sign_ins), (Some(30), Some(90), None));
        let audit = client.get("/audit").await;
        assert!(audit.body.contains("retention"), "the change is audited");
        let pruned = client.post("/settings/retention/prune", &[]).await;
        assert_eq!(pruned.status, reqwest::StatusCode::SEE_OTHER);
        let shown = client.get("/settings/retention").await;
        assert!(shown.text(".flash-success").starts_with("Pruned 1 complaint samples, 1007 quarantined reports, 1 sent notices, 0 sign-in records"), "{}", shown.text(".flash-success"));
        assert_eq!(count(&app.db, "SELECT COUNT(*) FROM audit_entry WHERE object_kind = 'session' AND object_label = 'old'").await, 1, "sign-ins kept for ever now");
        // Not for anyone else.
        assert_eq!(app.signed_in("support").await.get("/settings/retention").await.status, reqwest::StatusCode::FORBIDDEN);
    }
}
