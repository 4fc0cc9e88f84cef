//! Suspensions racing each other through the service layer, on both databases: two lifts at
//! once, a lift and a new suspension at once, two suspensions of one service at once. After each
//! round the mailbox's `svc_*` columns and its suspension rows must still agree.
use crate::db_tests;
use crate::helpers::*;
use crate::suspension_state::*;
use mailadmin::authz::Actor;
use mailadmin::domain::{LiftKind, Service, ServiceState, SuspensionReason};
use mailadmin::services::common::ServiceError;
use mailadmin::services::suspension::actions as suspensions;

db_tests! {
    async fn two_admins_lifting_at_once_give_one_lift_and_one_conflict(app: TestApp) {
        let db = &app.db;
        let f = seed_fixture(db).await;
        let comp_a = actor(db, f.admin_company_a).await;
        let plat = actor(db, f.admin_platform).await;
        let id = f.mailbox_a;
        for round in 0..10 {
            suspend_send_mail(db, id).await;
            assert_consistent(db, id).await;
            let lifts_before = audit_count(db, id, "lift").await;
            let round_rows: Vec<i32> = open_rows(db, id).await.iter().map(|r| r.id).collect();
            assert_eq!(round_rows.len(), 2);

            let spawn_lift = |who: &Actor| {
                let (db, who) = (app.db.clone(), who.clone());
                tokio::spawn(async move {
                    let result = suspensions::lift(&db, &who, id, &[Service::SendMail], LiftKind::Lifted, None).await;
                    (who.login, result)
                })
            };
            let (first, second) = if round % 2 == 0 { (&comp_a, &plat) } else { (&plat, &comp_a) };
            let (a, b) = tokio::join!(spawn_lift(first), spawn_lift(second));
            let results = [a.expect("task"), b.expect("task")];
            let winners: Vec<&str> =
                results.iter().filter(|(_, r)| r.is_ok()).map(|(who, _)| who.as_str()).collect();
            let conflicts = results
                .iter()
                .filter(|(_, r)| matches!(r, Err(ServiceError::Conflict(m)) if says_already_lifted(m)))
                .count();
            assert_eq!((winners.len(), conflicts), (1, 1), "round {round}: {results:?}");

            let rows = rows_of(db, id).await;
            let ended: Vec<_> = rows.iter().filter(|r| round_rows.contains(&r.id)).collect();
            assert_eq!(ended.len(), 2);
            for row in &ended {
                assert!(row.ended_at.is_some(), "round {round}: {row:?}");
                assert_eq!(row.ended_by.as_deref(), Some(winners[0]), "round {round}: {row:?}");
                assert_eq!(row.ended_at, ended[0].ended_at, "round {round}: two lifts ended the rows");
            }
            assert!(rows.iter().all(|r| r.ended_at.is_some()), "round {round}: {rows:?}");
            assert_eq!(audit_count(db, id, "lift").await, lifts_before + 1, "round {round}");
            assert_eq!(states(db, id).await, expected(&[]), "round {round}");
            assert_consistent(db, id).await;
        }
        assert_eq!(rows_of(db, id).await.len(), 20);
    }

    async fn a_lift_racing_a_new_suspension_leaves_rows_that_explain_the_state(app: TestApp) {
        let db = &app.db;
        let f = seed_fixture(db).await;
        let comp_a = actor(db, f.admin_company_a).await;
        let plat = actor(db, f.admin_platform).await;
        let id = f.mailbox_a;
        for round in 0..10 {
            suspend_send_mail(db, id).await;
            assert_consistent(db, id).await;
            let lift = {
                let (db, who) = (app.db.clone(), comp_a.clone());
                tokio::spawn(async move {
                    suspensions::lift(&db, &who, id, &[Service::SendMail], LiftKind::Lifted, None).await.map(|_| ())
                })
            };
            let suspend = {
                let (db, who) = (app.db.clone(), plat.clone());
                tokio::spawn(async move {
                    suspensions::suspend(&db, &who, id, &[Service::Pop3], SuspensionReason::Manual, "POP3 brute force").await
                })
            };
            let (lifted, suspended) = tokio::join!(lift, suspend);
            let (lifted, suspended) = (lifted.expect("task"), suspended.expect("task"));
            assert!(lifted.is_ok() && suspended.is_ok(), "round {round}: lift {lifted:?}, suspend {suspended:?}");
            assert_consistent(db, id).await;
            assert_eq!(states(db, id).await, expected(&[(Service::Pop3, ServiceState::Suspended)]), "round {round}");
            assert_eq!(service_keys(&open_rows(db, id).await), key_set(&[Service::Pop3]), "round {round}");

            suspensions::lift(db, &plat, id, &[Service::Pop3], LiftKind::Lifted, None).await.unwrap();
            assert_consistent(db, id).await;
            assert_eq!(states(db, id).await, expected(&[]), "round {round}");
        }
        assert_eq!(audit_count(db, id, "lift").await, 20);
        assert_eq!(audit_count(db, id, "suspend").await, 20);
    }

    async fn two_suspensions_of_one_service_at_once_give_one_open_row(app: TestApp) {
        let db = &app.db;
        let f = seed_fixture(db).await;
        let comp_a = actor(db, f.admin_company_a).await;
        let plat = actor(db, f.admin_platform).await;
        let id = f.mailbox_a;
        for round in 0..5 {
            let spawn_suspend = |who: &Actor| {
                let (db, who) = (app.db.clone(), who.clone());
                tokio::spawn(async move {
                    suspensions::suspend(&db, &who, id, &[Service::SendMail], SuspensionReason::RateLimit, "rate").await
                })
            };
            let (a, b) = tokio::join!(spawn_suspend(&comp_a), spawn_suspend(&plat));
            let results = [a.expect("task"), b.expect("task")];
            let oks = results.iter().filter(|r| r.is_ok()).count();
            let conflicts =
                results.iter().filter(|r| matches!(r, Err(ServiceError::Conflict(m)) if m.contains("already"))).count();
            assert_eq!((oks, conflicts), (1, 1), "round {round}: {results:?}");
            assert_eq!(open_rows(db, id).await.len(), 2, "round {round}");
            assert_consistent(db, id).await;
            suspensions::lift_all(db, &plat, id, LiftKind::Lifted, None).await.unwrap();
            assert_consistent(db, id).await;
        }
        assert_eq!(audit_count(db, id, "suspend").await, 5);
    }
}
