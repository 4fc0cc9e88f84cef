//! `mailadmin policy`: reads its settings, binds, serves until stopped.
use super::CommandError;
use crate::config::{EnforcementArgs, PolicyArgs};
use crate::policy::PolicyService;
use crate::policy::engine::PolicySettings;
use crate::policy::protocol::check_action;
use crate::policy::server::BindAddr;
use crate::services::notices::outbox::NoticeSettings;
use sea_orm::DatabaseConnection;

/// What `mailadmin policy --help` prints after the flags: the lines Postfix needs.
pub const POSTFIX_HELP: &str = "\
Postfix: ask the policy service before permit_sasl_authenticated (placed after it, the check is
never reached for a signed-in sender), in main.cf:

  smtpd_recipient_restrictions =
      check_policy_service { inet:127.0.0.1:10040, timeout=10s,
          { default_action = DEFER_IF_PERMIT Service temporarily unavailable } },
      permit_sasl_authenticated, reject_unauth_destination

A value with spaces must be braced on its own (`{ default_action = … }`): written bare, Postfix
3.7's smtpd dies with \"missing '=' after attribute name\".

The same line in the submission service (master.cf `-o smtpd_recipient_restrictions=…`) and in
the smtpd your webmail submits to. Postfix sends `sasl_username` (the login, which is the
mailbox address; set --login-domain if Dovecot strips the domain) and `client_address`
(compared with MAILADMIN_WEBMAIL_NETWORKS). Receive Mail is judged at RCPT on port 25 by the
same line. With the policy service down or silent for 10 s, Postfix applies default_action
(a temporary failure: senders retry, nothing is accepted unchecked). Several policy services,
one per mail server, may share one database; each follows changes within a second.

Outbound limits are counted at RCPT, one recipient per request the service lets through: keep
the check in smtpd_recipient_restrictions of every smtpd a signed-in sender uses (a copy in
smtpd_end_of_data_restrictions judges senders again but counts nothing). A sender over a limit
gets MAILADMIN_POLICY_LIMIT_DEFERRED (452 4.7.1, a temporary refusal), is soft-suspended, or
only reported, as the company chose; the counts are shared through the database by every
policy service on it, within max(1 % of a limit, 10) recipients.";

pub fn settings(
    enforcement: &EnforcementArgs,
    fallback: &str,
    login_domain: Option<String>,
    recipient_delimiter: &str,
) -> Result<PolicySettings, CommandError> {
    for (flag, action) in [
        ("--send-refused", enforcement.send_refused.as_str()),
        ("--receive-refused", enforcement.receive_refused.as_str()),
        ("--fallback", fallback),
        ("--limit-deferred", enforcement.limit_deferred.as_str()),
    ] {
        check_action(action).map_err(|e| CommandError::Usage(format!("{flag}: {e}")))?;
    }
    let mut webmail_networks = Vec::new();
    for net in enforcement.webmail_networks.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let parsed = net
            .parse::<ipnet::IpNet>()
            .or_else(|_| net.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| {
                CommandError::Usage(format!("MAILADMIN_WEBMAIL_NETWORKS: {net:?} is no address or CIDR"))
            })?;
        webmail_networks.push(parsed);
    }
    Ok(PolicySettings {
        send_refused: enforcement.send_refused.clone(),
        receive_refused: enforcement.receive_refused.clone(),
        limit_deferred: enforcement.limit_deferred.clone(),
        fallback: fallback.to_owned(),
        webmail_networks,
        login_domain: login_domain.map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase()),
        recipient_delimiter: recipient_delimiter.to_owned(),
    })
}

pub async fn run(db: DatabaseConnection, args: PolicyArgs) -> Result<(), CommandError> {
    let settings =
        settings(&args.enforcement, &args.fallback, args.login_domain.clone(), &args.recipient_delimiter)?;
    let binds = args
        .binds
        .iter()
        .filter(|b| !b.trim().is_empty())
        .map(|b| BindAddr::parse(b).map_err(|e| CommandError::Usage(format!("--bind: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if binds.is_empty() {
        return Err(CommandError::Usage("--bind: give at least one HOST:PORT or unix:PATH".into()));
    }
    let notices = NoticeSettings {
        platform_address: args.intake.platform_abuse_address.clone(),
        public_url: args.intake.public_url.clone().unwrap_or_else(|| "http://127.0.0.1:8080/".into()),
    };
    let service = PolicyService::build(db, &binds, settings)
        .await
        .map_err(|e| CommandError::Failed(e.to_string()))?
        .with_notices(notices);
    let stopped = super::shutdown_signal();
    for addr in service.addresses() {
        println!("Policy service listening on {addr}");
    }
    let stop = service.stop_handle();
    let running = tokio::spawn(service.run());
    let signal = stopped.await;
    tracing::info!(signal, "policy service stopping");
    // Connections close after the request they are answering; Postfix reconnects elsewhere
    // or applies its default action.
    stop.stop();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), running).await;
    println!("Policy service stopped.");
    Ok(())
}
