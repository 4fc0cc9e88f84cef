//! The `mailadmin` command: serve, migrate, ingest-arf, create-admin, seed-demo.
mod backup;
mod check;
mod ingest;
#[allow(private_interfaces)] // its `run` returns the private CommandError; public for benches/mail_lookups.rs
pub mod mail_config;
mod maildirs;
mod policy;
use crate::config::{DatabaseArgs, EnforcementArgs, IntakeArgs, PolicyArgs, SmtpArgs, WebArgs};
use crate::domain::{AdminLogin, DomainName, Role};
use crate::services::{self, access::admins, common::ServiceError, common::passwords::Secret, demo::seed};
use clap::{Parser, Subcommand, ValueEnum};
use sea_orm::DatabaseConnection;
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "mailadmin", version, about = "Mail Administration Center for mail-hosting providers")]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard. Applies pending migrations first. On a database without admin users,
    /// creates the platform admin `admin` and prints its random password once.
    Serve {
        #[command(flatten)]
        web: WebArgs,
        #[command(flatten)]
        intake: IntakeArgs,
        #[command(flatten)]
        smtp: SmtpArgs,
        #[command(flatten)]
        enforcement: EnforcementArgs,
        /// On an empty database, seed demo companies, domains, mailboxes and one sign-in per
        /// role, and print them. On a database with data, seeds nothing.
        #[arg(long)]
        demo: bool,
    },
    /// Answer Postfix's access policy requests (`check_policy_service`): refuse sending for a
    /// mailbox whose Send Mail is suspended or disabled, receiving for one whose Receive Mail
    /// is, from the mailboxes kept in memory and followed as the dashboard changes them.
    #[command(after_long_help = policy::POSTFIX_HELP)]
    Policy {
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Print the lookup-table files and configuration snippets that make Postfix and Dovecot
    /// read domains, mailboxes, aliases, passwords, services and quotas from this database
    /// (views `mail_domain`, `mail_user`, `mail_alias`; table `mailbox_quota_usage`), ready to
    /// copy. Touches nothing.
    MailConfig {
        /// Which mail server.
        #[arg(value_enum)]
        server: mail_config::MailServer,
        /// Webmail hosts (as for `policy`): their IMAP logins need Login via Webmail instead of
        /// Connect via IMAP4.
        #[arg(long, env = "MAILADMIN_WEBMAIL_NETWORKS", value_delimiter = ',')]
        webmail_networks: Vec<String>,
        #[command(flatten)]
        layout: mail_config::Layout,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Read one spam-complaint report (ARF, RFC 5965) on standard input and store it; for a
    /// Postfix pipe transport or an aliases(5) entry. Exit status: 0 stored (or a duplicate),
    /// 65 not a report (kept in quarantine), 75 database unreachable (the MTA retries later).
    IngestArf {
        #[command(flatten)]
        intake: IntakeArgs,
    },
    /// Create an admin user. Reads the password (one line, at least 10 characters) from
    /// standard input, so scripts can pipe it in. Exits 2 on an unknown company or domain or a
    /// login that exists.
    CreateAdmin {
        /// The sign-in name.
        #[arg(long)]
        login: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The company a company admin runs (its name).
        #[arg(long)]
        company: Option<String>,
        /// A domain a domain admin looks after; repeat for several.
        #[arg(long = "domain")]
        domains: Vec<String>,
    },
    /// Create an API token for the complaint intake (`POST /api/v1/complaints`) and print it.
    /// It is shown this once; platform admins can also create and revoke tokens in the dashboard.
    CreateApiToken {
        /// What uses the token, e.g. "Yahoo feedback loop".
        #[arg(long)]
        name: String,
    },
    /// Check the configuration and what it must reach: the database (reachable, migrated), the
    /// SMTP relay (EHLO only), the session key, the bind address. One line per check; exit
    /// status 0 when all pass, 1 otherwise. Changes nothing.
    Check {
        #[command(flatten)]
        web: WebArgs,
        #[command(flatten)]
        smtp: SmtpArgs,
    },
    /// Copy a SQLite database to FILE while everything keeps running (a consistent snapshot,
    /// checked before it is reported). For PostgreSQL it prints the pg_dump command instead.
    Backup {
        /// The new file; an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
    /// Replace the SQLite database with a backup. Checks the copy first, refuses while any
    /// process has the database open (stop serve and policy first), and keeps the replaced
    /// database beside it as NAME.before-restore-TIME.
    Restore {
        #[arg(long, value_name = "FILE")]
        from: std::path::PathBuf,
    },
    /// List the maildirs of mailboxes deleted in the dashboard (their mail stays on the mail host
    /// until purged) and, with --purge-after-days, remove those deleted long enough ago. Run on
    /// the mail host, e.g. daily from cron: `mailadmin maildirs --purge-after-days 30`.
    Maildirs {
        #[command(flatten)]
        args: maildirs::MaildirArgs,
    },
    /// Add demo data: companies with domains with mailboxes, realistic names, a few mailboxes
    /// with Send Mail suspended. Fast enough for the benchmark's million mailboxes.
    SeedDemo {
        /// Companies to add.
        #[arg(long, default_value_t = 3)]
        companies: u32,
        /// Domains per company.
        #[arg(long, default_value_t = 2)]
        domains: u32,
        /// Mailboxes per domain.
        #[arg(long, default_value_t = 60)]
        mailboxes: u32,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Platform,
    Company,
    Domain,
    Support,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Platform => Role::Platform,
            RoleArg::Company => Role::Company,
            RoleArg::Domain => Role::Domain,
            RoleArg::Support => Role::Support,
        }
    }
}

/// Exit status for bad input to a command (matches clap's usage errors).
const EXIT_USAGE: u8 = 2;

pub async fn run(cli: Cli) -> ExitCode {
    let url = cli.database.database_url.clone();
    // ingest-arf answers the MTA in sysexits terms, so it handles the database itself.
    if let Command::IngestArf { intake } = &cli.command {
        return ingest::run(&url, intake).await;
    }
    // The policy service starts and answers (its fallback) while the database is away, and
    // leaves migrations to `migrate` and `serve`: several may start at once, with no DDL rights.
    // mail-config only prints: no connection, no migration.
    if let Command::MailConfig { server, webmail_networks, layout } = &cli.command {
        return exit_code(mail_config::run(*server, &url, webmail_networks, layout));
    }
    // Backup opens the database read-only; restore must find it closed: neither migrates.
    match &cli.command {
        Command::Backup { to } => return exit_code(backup::backup(&url, to).await),
        Command::Check { web, smtp } => {
            return if check::run(&url, web, smtp).await { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        }
        Command::Restore { from } => return exit_code(backup::restore(&url, from).await),
        _ => {}
    }
    if let Command::Policy { policy: args } = cli.command {
        let db = match crate::db::connect_lazily(&url, cli.database.database_pool).await {
            Ok(db) => db,
            Err(e) => {
                eprintln!("error: cannot use the database {}: {e}", crate::db::redacted(&url));
                return ExitCode::FAILURE;
            }
        };
        return exit_code(policy::run(db, args).await);
    }
    let patience = std::time::Duration::from_secs(10);
    let db = match crate::db::connect_with(&url, patience, cli.database.database_pool).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("error: cannot open the database {}: {e}", crate::db::redacted(&url));
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = crate::db::migrate(&db).await {
        eprintln!("error: migrating the database failed: {e}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Command::Migrate => {
            println!("migrations applied to {}", crate::db::redacted(&url));
            Ok(())
        }
        Command::Serve { web, intake, smtp, enforcement, demo } => {
            serve(db, web, intake, smtp, enforcement, demo).await
        }
        Command::Policy { .. } => unreachable!("handled above"),
        Command::MailConfig { .. } => unreachable!("handled above"),
        Command::Backup { .. } | Command::Restore { .. } | Command::Check { .. } => {
            unreachable!("handled above")
        }
        Command::IngestArf { .. } => unreachable!("handled above"),
        Command::CreateAdmin { login, role, company, domains } => {
            create_admin(&db, &login, role.into(), company, domains).await
        }
        Command::CreateApiToken { name } => {
            let actor = admins::system_actor("create-api-token");
            match crate::services::access::api_tokens::create(&db, &actor, &name).await {
                Ok((_, token)) => {
                    println!("{token}");
                    Ok(())
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Maildirs { args } => maildirs::run(&db, args).await,
        Command::SeedDemo { companies, domains, mailboxes } => {
            let options = seed::SeedOptions {
                companies,
                domains_per_company: domains,
                mailboxes_per_domain: mailboxes,
            };
            seed_with_progress(&db, options).await.map(|_| ())
        }
    };
    exit_code(result)
}

/// Says what went wrong, if anything, and turns it into the command's exit status.
fn exit_code(result: Result<(), CommandError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CommandError::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(CommandError::Failed(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

enum CommandError {
    Usage(String),
    Failed(String),
}

impl From<ServiceError> for CommandError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(fields) => CommandError::Usage(
                fields.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "),
            ),
            ServiceError::Conflict(m) => CommandError::Usage(m),
            other => CommandError::Failed(other.to_string()),
        }
    }
}

async fn seed_with_progress(
    db: &DatabaseConnection,
    options: seed::SeedOptions,
) -> Result<seed::SeedReport, CommandError> {
    let started = std::time::Instant::now();
    let mut last_print = std::time::Instant::now();
    let report = seed::seed(db, options, |done, total| {
        if last_print.elapsed().as_secs() >= 2 || done == total {
            eprintln!("seeded {done} of {total} mailboxes ({:.0} s)", started.elapsed().as_secs_f64());
            last_print = std::time::Instant::now();
        }
    })
    .await?;
    println!(
        "seeded {} companies, {} domains, {} mailboxes in {:.1} s",
        report.company_ids.len(),
        report.domain_ids.iter().map(Vec::len).sum::<usize>(),
        report.mailboxes,
        started.elapsed().as_secs_f64()
    );
    Ok(report)
}

async fn create_admin(
    db: &DatabaseConnection,
    login: &str,
    role: Role,
    company: Option<String>,
    domains: Vec<String>,
) -> Result<(), CommandError> {
    let login = AdminLogin::parse(login).map_err(|e| CommandError::Usage(format!("--login: {e}")))?;
    let company_id = match &company {
        Some(name) => Some(
            services::hierarchy::lookup_ids::company_by_name(db, name)
                .await?
                .ok_or_else(|| CommandError::Usage(format!("no company named \"{name}\"")))?,
        ),
        None => None,
    };
    let mut domain_ids = Vec::new();
    for name in &domains {
        let parsed =
            DomainName::parse(name).map_err(|e| CommandError::Usage(format!("--domain {name}: {e}")))?;
        let id = services::hierarchy::lookup_ids::domain_by_name(db, parsed.as_str())
            .await?
            .ok_or_else(|| CommandError::Usage(format!("no domain named \"{name}\"")))?;
        domain_ids.push(id);
    }
    if role == Role::Company && company_id.is_none() {
        return Err(CommandError::Usage("a company admin needs --company NAME".into()));
    }
    if role == Role::Domain && domain_ids.is_empty() {
        return Err(CommandError::Usage("a domain admin needs --domain NAME (one or more)".into()));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CommandError::Failed(format!("reading the password from standard input: {e}")))?;
    let password = Secret::new(line.trim_end_matches(['\r', '\n']).to_owned());
    let actor = admins::system_actor("create-admin");
    let new = admins::NewAdmin { login: login.clone(), role, company_id, domain_ids, password };
    admins::create(db, &actor, new).await?;
    println!("created {} admin {}", role.as_str(), login.as_str());
    Ok(())
}

/// The fixed demo sign-ins, one per role.
pub const DEMO_SIGN_INS: [(&str, &str, Role); 4] = [
    ("platform", "platform-demo", Role::Platform),
    ("company", "company-demo", Role::Company),
    ("domain", "domain-demo", Role::Domain),
    ("support", "support-demo", Role::Support),
];

async fn seed_demo(db: &DatabaseConnection, intake: &IntakeArgs, bind: &str) -> Result<(), CommandError> {
    let options = seed::SeedOptions { companies: 4, domains_per_company: 3, mailboxes_per_domain: 60 };
    let report = seed_with_progress(db, options).await?;
    let actor = admins::system_actor("demo");
    let first_company = report.company_ids[0];
    let first_domain = report.domain_ids[0][0];
    for (login, password, role) in DEMO_SIGN_INS {
        let new = admins::NewAdmin {
            login: AdminLogin::parse(login).map_err(|e| CommandError::Failed(e.to_string()))?,
            role,
            company_id: (role == Role::Company).then_some(first_company),
            domain_ids: if role == Role::Domain { vec![first_domain] } else { vec![] },
            password: Secret::new(password.into()),
        };
        admins::create(db, &actor, new).await?;
    }
    let settings = crate::services::notices::outbox::NoticeSettings {
        platform_address: intake.platform_abuse_address.clone(),
        public_url: intake.public_url.clone().unwrap_or_else(|| format!("http://{bind}/")),
    };
    crate::services::demo::complaints::add(db, first_domain, &settings).await?;
    crate::services::demo::sending::add(db, first_domain).await?;
    Ok(())
}

/// Listens for SIGTERM (systemd's stop) and SIGINT (Ctrl-C) from the moment it is called —
/// before a service says it is listening, so a stop sent right after never meets the default
/// disposition (killed, no clean stop); the future says which came.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = &'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let streams = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()));
    async move {
        let (Ok(mut term), Ok(mut int)) = streams else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    }
}

async fn serve(
    db: DatabaseConnection,
    web: WebArgs,
    intake: IntakeArgs,
    smtp: SmtpArgs,
    enforcement: EnforcementArgs,
    demo: bool,
) -> Result<(), CommandError> {
    // The same checks as the policy service's, so a bad setting fails here too.
    policy::settings(&enforcement, crate::enforcement::DEFAULT_FALLBACK, None, "")?;
    let sender = crate::notices::NoticeSender::from_args(&smtp).map_err(CommandError::Usage)?;
    let empty = !admins::any_exist(&db).await? && services::hierarchy::lookup_ids::no_companies(&db).await?;
    let url = format!("http://{}/", web.bind);
    if demo && empty {
        seed_demo(&db, &intake, &web.bind).await?;
        println!("Demo data seeded. Sign in at {url} as:");
        for (login, password, role) in DEMO_SIGN_INS {
            println!("  {:<14} login {login:<9} password {password}", role.label());
        }
    } else if demo {
        println!("The database has data already; no demo data seeded.");
    } else if !admins::any_exist(&db).await? {
        let password = services::common::passwords::generate();
        let actor = admins::system_actor("first-start");
        let new = admins::NewAdmin {
            login: AdminLogin::parse("admin").map_err(|e| CommandError::Failed(e.to_string()))?,
            role: Role::Platform,
            company_id: None,
            domain_ids: vec![],
            password: password.clone(),
        };
        admins::create(&db, &actor, new).await?;
        println!("Created the platform admin. Sign in at {url} with");
        println!("  login: admin");
        println!("  password: {}", password.expose());
        println!("This password is shown only once.");
    }
    let app = crate::startup::Application::build(db.clone(), &web, &intake, &enforcement)
        .await
        .map_err(|e| CommandError::Failed(format!("cannot start the dashboard on {}: {e}", web.bind)))?;
    let stopped = shutdown_signal();
    println!("Dashboard listening on http://{}/", app.address());
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut worker = tokio::spawn(crate::notices::run(db.clone(), sender, stopping.clone()));
    let retention = tokio::spawn(services::retention::run_daily(db.clone(), stopping));
    let handle = app.handle();
    let mut server = tokio::spawn(app.run_until_stopped());
    let budget = std::time::Duration::from_secs(web.shutdown_seconds);
    let result = tokio::select! {
        finished = &mut server => finished.map_err(|e| CommandError::Failed(e.to_string()))?,
        signal = stopped => {
            // Stop accepting; answer the requests in flight (a complaint waits for the writer
            // to store it); let the notice being sent finish: all within the budget.
            tracing::info!(signal, seconds = web.shutdown_seconds, "stopping");
            let signalled = std::time::Instant::now();
            let _ = stop.send(true);
            handle.stop(true).await;
            let served = server.await.map_err(|e| CommandError::Failed(e.to_string()))?;
            let left = budget.saturating_sub(signalled.elapsed()).max(std::time::Duration::from_secs(1));
            if tokio::time::timeout(left, &mut worker).await.is_err() {
                tracing::warn!("the notice being sent did not finish in time; it is sent again when its claim expires");
            }
            served
        }
    }
    .map_err(|e| CommandError::Failed(e.to_string()));
    worker.abort();
    retention.abort();
    crate::db::checkpoint(&db).await;
    tracing::info!("stopped");
    result
}
