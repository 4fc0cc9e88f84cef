//! The dashboard's side of the limits: the forms (who may set what, bad input kept), and the
//! counts the policy service shares shown on the Status page, the look-up and the front page.
use crate::db_tests;
use crate::helpers::*;
use crate::policy::{Conn, DUNNO, rcpt, spawn_policy};
use crate::policy_limits::DEFERRED;
use mailadmin::entity::{company, domain, mailbox};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use std::time::{Duration, Instant};

db_tests! {
    async fn the_platform_sets_company_limits_and_admins_may_only_tighten_below_them(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        let plat = app.signed_in("plat").await;
        let form = plat.get(&format!("/companies/{}/limits", f.company_a)).await;
        assert_eq!(form.status, StatusCode::OK);
        assert_eq!(form.attrs("#limit_daily", "placeholder"), vec!["inherit".to_owned()]);
        let saved = plat
            .post(
                &format!("/companies/{}/limits", f.company_a),
                &[("limit_daily", "5,000"), ("limit_external_hourly", "300"), ("limit_internal_hourly", ""), ("breach", "suspend")],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let c = company::Entity::find_by_id(f.company_a).one(&app.db).await.unwrap().unwrap();
        assert_eq!((c.limit_daily, c.limit_external_hourly, c.limit_internal_hourly), (Some(5000), Some(300), None));
        assert_eq!((c.limit_breach.as_str(), c.probation), ("suspend", false), "probation unticked");
        let page = plat.get(&format!("/companies/{}", f.company_a)).await;
        assert!(page.text("#company-limits").starts_with("5000 recipients per 24 hours, 300 external"), "{}", page.text("#company-limits"));
        assert!(page.texts("#sending-chart").len() == 1, "the company's Sending chart");

        // A company admin may tighten a domain's limit, not loosen it past the company's.
        let comp = app.signed_in("comp-a").await;
        let refused = comp
            .post(&format!("/domains/{}/limits", f.domain_a), &[("limit_daily", "9000"), ("limit_external_hourly", "abc")])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text(".error").contains("whole number"), "{}", refused.body);
        assert_eq!(refused.attrs("#limit_external_hourly", "value"), vec!["abc".to_owned()], "input kept");
        let refused = comp.post(&format!("/domains/{}/limits", f.domain_a), &[("limit_daily", "9000")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text(".error").contains("At most 5000"), "{}", refused.body);
        let ok = comp.post(&format!("/domains/{}/limits", f.domain_a), &[("limit_daily", "1000")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        let d = domain::Entity::find_by_id(f.domain_a).one(&app.db).await.unwrap().unwrap();
        assert_eq!(d.limit_daily, Some(1000));
        // The company's own limits are the platform's.
        let denied = comp.post(&format!("/companies/{}/limits", f.company_a), &[("limit_daily", "1"), ("breach", "defer")]).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);

        // A domain admin sets a mailbox's, within the domain's.
        let dom = app.signed_in("dom-a").await;
        let refused = dom.post(&format!("/mailboxes/{}/limits", f.mailbox_a), &[("limit_daily", "1001")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let ok = dom.post(&format!("/mailboxes/{}/limits", f.mailbox_a), &[("limit_external_hourly", "20")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        let m = mailbox::Entity::find_by_id(f.mailbox_a).one(&app.db).await.unwrap().unwrap();
        assert_eq!(m.limit_external_hourly, Some(20));
        let status = dom.get(&format!("/mailboxes/{}/status", f.mailbox_a)).await;
        assert_eq!(status.texts("#sending-external-hour td"), ["External recipients, last hour", "0", "20", "0 %"]);
        assert_eq!(status.texts("#sending-day td")[2], "1000", "the domain's daily limit applies");
    }

    async fn counts_from_the_policy_service_show_on_the_status_page_the_look_up_and_the_front_page(app: TestApp) {
        let f = seed_fixture(&app.db).await;
        set_company_limits(&app.db, f.company_a, None, Some(4), None, mailadmin::enforcement::limits::BreachAction::Defer).await;
        let policy = spawn_policy(&app.db, true).await;
        let mut conn = Conn::open(&policy.address).await;
        for n in 0..4 {
            let r = rcpt("otto@alpha2.example", "otto@alpha2.example", &format!("p{n}@elsewhere.test"), "127.0.0.1");
            assert_eq!(conn.ask(&r).await, DUNNO);
        }
        let r = rcpt("otto@alpha2.example", "otto@alpha2.example", "p9@elsewhere.test", "127.0.0.1");
        assert_eq!(conn.ask(&r).await, DEFERRED);
        let support = app.signed_in("support").await;
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            let status = support.get(&format!("/mailboxes/{}/status", f.mailbox_a2)).await;
            if status.body.contains("id=\"sending-paused\"") {
                break status;
            }
            assert!(Instant::now() < deadline, "the counts never reached the Status page:\n{}", status.body);
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(status.text("#sending-paused").starts_with("Sending paused until "), "{}", status.text("#sending-paused"));
        assert!(status.text("#sending-paused").contains("(hourly external limit of 4 reached)"));
        assert_eq!(status.texts("#sending-external-hour td")[1..], ["4", "4", "100 %"]);
        assert_eq!(status.texts("#sending-chart").len(), 1);
        let lookup = support.get("/lookup?q=otto@").await;
        let words = lookup.texts("table.lookup .mail-server");
        assert!(words.iter().any(|w| w.starts_with("Sending paused until ") && w.contains("hourly external limit of 4")), "{words:?}");
        let home = app.signed_in("comp-a").await.get("/").await;
        let near = home.texts("#near-limits tbody tr");
        assert_eq!(near.len(), 1, "{near:?}");
        assert!(near[0].contains("otto@alpha2.example") && near[0].contains("100 %"), "{near:?}");
        // Another company's admin does not see it.
        let other = app.signed_in("comp-b").await.get("/").await;
        assert!(other.texts("#near-limits tbody tr").is_empty());
    }
}
