//! The Debian package (`cargo deb`, debian/): built from the debug binary already here (no
//! release build), its units checked by `systemd-analyze verify` and `security`, installed with
//! `dpkg -i`, and each unit's commands run as the unit would run them — its user and group, its
//! working directory, umask and environment file, `ExecStartPre` then `ExecStart` — until the
//! dashboard answers and the policy service replies; SIGTERM stops both with exit 0. Then
//! `dpkg --purge` leaves the machine as found: the purge removes the package, its settings and
//! /var/lib/mailadmin; the system user is kept by the package (as Debian keeps system users) and
//! removed here when this test created it.
//!
//! Needs root (`dpkg -i`), cargo-deb and systemd-analyze (scripts/test installs both); no running
//! systemd: the units' commands are started by the test, not by systemd.
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ENV_FILE: &str = "/etc/mailadmin/mailadmin.env";
const STATE_DIR: &str = "/var/lib/mailadmin";
/// Left in the state directory while the test's install is on the machine: a run killed half-way
/// is cleaned up by the next one, while a mailadmin installed by someone else is left alone. It
/// says `remove-user` when the test created the system user.
const MARKER: &str = "/var/lib/mailadmin/.installed-by-mailadmin-test";

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {} failed ({}):\n{}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn package_installed() -> bool {
    run("dpkg-query", &["-W", "-f", "${db:Status-Status}", "mailadmin"]).stdout.starts_with(b"installed")
        || Path::new(STATE_DIR).exists()
}

fn user_exists(name: &str) -> bool {
    run("getent", &["passwd", name]).status.success()
}

/// Purges the package and, when this test created it, the system user; removes the work dir.
struct Cleanup {
    work: PathBuf,
    remove_user: bool,
}

impl Cleanup {
    fn purge(&self) -> Output {
        let out = run("dpkg", &["--purge", "mailadmin"]);
        if self.remove_user && user_exists("mailadmin") {
            run("userdel", &["mailadmin"]);
        }
        out
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if Path::new(MARKER).exists() {
            self.purge();
        }
        std::fs::remove_dir_all(&self.work).ok();
    }
}

/// A started unit command, killed if the test ends before it is stopped.
struct Running {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
    stderr_path: PathBuf,
}

impl Running {
    /// Reads standard output up to the line starting with `prefix`; returns what follows it.
    fn wait_for_line(&mut self, prefix: &str) -> (String, String) {
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "exited before printing {prefix:?}; stdout:\n{seen}\nstderr:\n{}", self.stderr());
            seen.push_str(&line);
            if let Some(rest) = line.strip_prefix(prefix) {
                return (rest.trim().to_owned(), seen);
            }
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// SIGTERM, as systemd's `KillSignal=SIGTERM`; the exit status within `limit`.
    fn terminate(mut self, limit: Duration) -> std::process::ExitStatus {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut rest = String::new();
                self.stdout.read_to_string(&mut rest).ok();
                return status;
            }
            assert!(Instant::now() < deadline, "still running {limit:?} after SIGTERM:\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

/// The `[Service]` settings of an installed unit file that say how its commands run.
struct Unit {
    settings: BTreeMap<String, Vec<String>>,
}

impl Unit {
    fn read(path: &Path) -> Self {
        let mut settings: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let text = std::fs::read_to_string(path).unwrap();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with(['#', ';', '['])) {
            let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("{}: {line}", path.display()));
            settings.entry(key.trim().to_owned()).or_default().push(value.trim().to_owned());
        }
        Self { settings }
    }

    fn one(&self, key: &str) -> &str {
        match self.settings.get(key).map(Vec::as_slice) {
            Some([value]) => value,
            other => panic!("the unit should set {key} once: {other:?}"),
        }
    }

    fn all(&self, key: &str) -> &[String] {
        self.settings.get(key).map(Vec::as_slice).unwrap_or_default()
    }

    /// An `ExecStart…=` line as a command: no quoting in our units; prefixes like `-` dropped.
    fn command(line: &str) -> Vec<String> {
        let line = line.trim_start_matches(['-', '@', ':', '+', '!']);
        assert!(!line.contains(['"', '\'', '$', '%']), "a plain command line expected: {line}");
        line.split_whitespace().map(str::to_owned).collect()
    }

    /// The command as systemd runs it for this unit: as `User=`/`Group=`, in
    /// `WorkingDirectory=`, with `UMask=` and only `EnvironmentFile=`'s variables (plus those
    /// systemd sets itself), and `overrides` in place of the file's.
    fn spawn(
        &self,
        line: &str,
        env_file: &BTreeMap<String, String>,
        overrides: &[(&str, &str)],
        work: &Path,
    ) -> Child {
        let argv = Self::command(line);
        let user = self.one("User");
        assert_eq!(self.one("Group"), user);
        let uid: u32 = ok("id", &["-u", user]).trim().parse().unwrap();
        let gid: u32 = ok("id", &["-g", user]).trim().parse().unwrap();
        let umask = u32::from_str_radix(self.one("UMask"), 8).unwrap();
        let stderr = work.join(format!("{}.stderr", argv[1..].join("-")));
        let mut command = Command::new(&argv[0]);
        command
            .args(&argv[1..])
            .env_clear()
            .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin")
            .env("HOME", STATE_DIR)
            .env("USER", user)
            .env("LOGNAME", user)
            .envs(env_file)
            .envs(overrides.iter().copied())
            .current_dir(self.one("WorkingDirectory"))
            .uid(uid)
            .gid(gid)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(stderr).unwrap());
        // Only umask(2) between fork and exec: async-signal-safe.
        unsafe {
            command.pre_exec(move || {
                libc::umask(umask as libc::mode_t);
                Ok(())
            });
        }
        command.spawn().unwrap_or_else(|e| panic!("cannot start {line}: {e}"))
    }

    fn start(
        &self,
        line: &str,
        env_file: &BTreeMap<String, String>,
        overrides: &[(&str, &str)],
        work: &Path,
    ) -> Running {
        let argv = Self::command(line);
        let mut child = self.spawn(line, env_file, overrides, work);
        Running {
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
            stderr_path: work.join(format!("{}.stderr", argv[1..].join("-"))),
        }
    }
}

/// `KEY=VALUE` lines of an EnvironmentFile without quoting; comments and blank lines skipped.
fn read_env_file(path: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut set = BTreeMap::new();
    let mut commented = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix('#') {
            if let Some((key, _)) =
                rest.split_once('=').filter(|(k, _)| k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            {
                commented.push(key.to_owned());
            }
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("{path}: {line}"));
        set.insert(key.to_owned(), value.to_owned());
    }
    (set, commented)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debian_package_installs_and_its_units_serve() {
    // ---- What the test needs: no silent skip.
    assert_eq!(unsafe { libc::geteuid() }, 0, "this test installs a .deb with dpkg -i: run it as root");
    let cargo_deb = Command::new(cargo()).args(["deb", "--version"]).output();
    assert!(
        cargo_deb.is_ok_and(|o| o.status.success()),
        "cargo-deb is missing: `cargo install cargo-deb --locked` (scripts/test installs it)"
    );
    assert!(
        Command::new("systemd-analyze").arg("--version").output().is_ok_and(|o| o.status.success()),
        "systemd-analyze is missing: `apt-get install systemd` (scripts/test installs it)"
    );
    if package_installed() {
        assert!(
            Path::new(MARKER).exists(),
            "mailadmin is installed on this machine (or {STATE_DIR} exists), not by this test: \
             this test installs and purges its own, so remove it first (dpkg --purge mailadmin)"
        );
        // Left by a run of this test that was killed: clean up as it would have.
        let remove_user = std::fs::read_to_string(MARKER).is_ok_and(|m| m.contains("remove-user"));
        Cleanup { work: PathBuf::new(), remove_user }.purge();
    }
    let work = std::env::temp_dir().join(format!("mailadmin-package-{:08x}", rand::random::<u32>()));
    let cleanup = Cleanup { work: work.clone(), remove_user: !user_exists("mailadmin") };
    let started = Instant::now();

    // ---- Build: the debug binary where cargo-deb looks for a release one, in a target dir of
    // this test's own (cargo-deb refuses target/debug paths, and builds nothing with --no-build);
    // stripped and compressed fast: a 10 MB .deb in seconds.
    let release = work.join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_mailadmin"), release.join("mailadmin")).unwrap();
    let out_dir = work.join("out");
    let built = Command::new(cargo())
        .args(["deb", "--no-build", "--strip", "--fast", "--output"])
        .arg(&out_dir)
        .env("CARGO_TARGET_DIR", work.join("target"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(built.status.success(), "cargo deb failed:\n{}", String::from_utf8_lossy(&built.stderr));
    let deb = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("cargo deb wrote no .deb");
    let deb = deb.to_str().unwrap();
    let depends = ok("dpkg-deb", &["--field", deb, "Depends"]);
    assert!(depends.contains("adduser") && depends.contains("libc6"), "Depends: {depends}");
    let built_in = started.elapsed();

    // ---- Install, as an admin would, on a machine where systemd may not run.
    ok("dpkg", &["-i", deb]);
    std::fs::write(MARKER, if cleanup.remove_user { "remove-user\n" } else { "" }).unwrap();
    let files = ok("dpkg", &["-L", "mailadmin"]);
    let unit_path = |name: &str| -> PathBuf {
        let path = files
            .lines()
            .find(|l| l.ends_with(&format!("/systemd/system/{name}")))
            .unwrap_or_else(|| panic!("{name} is not in the package:\n{files}"));
        PathBuf::from(path)
    };
    let dashboard_unit = unit_path("mailadmin.service");
    let policy_unit = unit_path("mailadmin-policy.service");
    for unit in [&dashboard_unit, &policy_unit] {
        let verify = Command::new("systemd-analyze").arg("verify").arg(unit).output().unwrap();
        assert!(
            verify.status.success() && verify.stderr.is_empty(),
            "systemd-analyze verify {}:\n{}",
            unit.display(),
            String::from_utf8_lossy(&verify.stderr)
        );
        // The hardening stays: exposure 2.0 or less ("OK") out of 10.
        let security = Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--threshold=20", "--no-pager"])
            .arg(unit)
            .output()
            .unwrap();
        assert!(
            security.status.success(),
            "systemd-analyze security {}: exposure above 2.0:\n{}",
            unit.display(),
            String::from_utf8_lossy(&security.stdout)
        );
    }
    // Enabled for the next boot (deb-systemd-helper's symlink); the policy service is not.
    assert!(Path::new("/etc/systemd/system/multi-user.target.wants/mailadmin.service").exists());
    assert!(!Path::new("/etc/systemd/system/multi-user.target.wants/mailadmin-policy.service").exists());

    // The system user and group, the settings readable by the group only, the state directory.
    let passwd = ok("getent", &["passwd", "mailadmin"]);
    let fields: Vec<&str> = passwd.trim().split(':').collect();
    let (uid, gid): (u32, u32) = (fields[2].parse().unwrap(), fields[3].parse().unwrap());
    assert!(uid < 1000, "a system user: {passwd}");
    assert_eq!(fields[5], STATE_DIR, "{passwd}");
    assert_eq!(fields[6], "/usr/sbin/nologin", "{passwd}");
    assert!(ok("getent", &["group", "mailadmin"]).starts_with(&format!("mailadmin:x:{gid}:")));
    let env_meta = std::fs::metadata(ENV_FILE).unwrap();
    assert_eq!(env_meta.permissions().mode() & 0o7777, 0o640, "{ENV_FILE}");
    assert_eq!((env_meta.uid(), env_meta.gid()), (0, gid), "{ENV_FILE} should be root:mailadmin");
    assert!(ok("dpkg-query", &["-W", "-f", "${Conffiles}", "mailadmin"]).contains(ENV_FILE), "a conffile");
    let state_meta = std::fs::metadata(STATE_DIR).unwrap();
    assert_eq!(state_meta.permissions().mode() & 0o7777, 0o750, "{STATE_DIR}");
    assert_eq!((state_meta.uid(), state_meta.gid()), (uid, gid), "{STATE_DIR} should be mailadmin's");

    // The settings file: the SQLite database in the state directory; every other setting there,
    // commented out with its default.
    let (env_file, commented) = read_env_file(ENV_FILE);
    assert_eq!(
        env_file.iter().collect::<Vec<_>>(),
        [(
            &"MAILADMIN_DATABASE_URL".to_owned(),
            &"sqlite:///var/lib/mailadmin/mailadmin.db?mode=rwc".to_owned()
        )]
    );
    for setting in
        ["MAILADMIN_BIND", "MAILADMIN_SHUTDOWN_SECONDS", "MAILADMIN_SESSION_KEY", "MAILADMIN_POLICY_BIND"]
    {
        assert!(commented.iter().any(|c| c == setting), "{setting} is not in {ENV_FILE}");
    }

    // ---- The dashboard's unit: ExecStartPre (migrate), then ExecStart until it answers.
    let dashboard = Unit::read(&dashboard_unit);
    assert_eq!(dashboard.one("EnvironmentFile"), ENV_FILE);
    assert_eq!(dashboard.one("User"), "mailadmin");
    for (key, value) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "yes"),
        ("ReadWritePaths", STATE_DIR),
        ("CapabilityBoundingSet", ""),
        ("KillSignal", "SIGTERM"),
        ("Restart", "on-failure"),
    ] {
        assert_eq!(dashboard.one(key), value, "{key}=");
    }
    let timeout_stop: u64 = dashboard.one("TimeoutStopSec").trim_end_matches('s').parse().unwrap();
    assert!(timeout_stop > 30, "TimeoutStopSec={timeout_stop} should exceed MAILADMIN_SHUTDOWN_SECONDS' 30");
    let [pre] = dashboard.all("ExecStartPre") else { panic!("one ExecStartPre") };
    let migrate = dashboard.spawn(pre, &env_file, &[], &work).wait_with_output().unwrap();
    assert!(migrate.status.success(), "{pre}: {}", String::from_utf8_lossy(&migrate.stderr));
    let db_meta = std::fs::metadata(format!("{STATE_DIR}/mailadmin.db")).unwrap();
    assert_eq!((db_meta.uid(), db_meta.permissions().mode() & 0o777), (uid, 0o640), "the database file");

    let mut serve =
        dashboard.start(dashboard.one("ExecStart"), &env_file, &[("MAILADMIN_BIND", "127.0.0.1:0")], &work);
    let (address, printed) = serve.wait_for_line("Dashboard listening on ");
    assert!(printed.contains("Created the platform admin"), "the first start creates admin:\n{printed}");
    let base = address.trim_end_matches('/').to_owned();
    let login = reqwest::get(format!("{base}/login")).await.unwrap();
    assert_eq!(login.status(), 200);
    assert!(login.text().await.unwrap().contains("csrf_token"));
    let status = serve.terminate(Duration::from_secs(timeout_stop));
    assert_eq!(status.code(), Some(0), "serve after SIGTERM: {status:?} (signal {:?})", status.signal());

    // ---- The policy service's unit, on the same database: it answers Postfix.
    let policy = Unit::read(&policy_unit);
    assert_eq!(policy.one("EnvironmentFile"), ENV_FILE);
    assert_eq!(policy.one("ReadWritePaths"), STATE_DIR);
    assert!(policy.all("ExecStartPre").is_empty());
    let mut service =
        policy.start(policy.one("ExecStart"), &env_file, &[("MAILADMIN_POLICY_BIND", "127.0.0.1:0")], &work);
    let (address, _) = service.wait_for_line("Policy service listening on inet:");
    let mut conn = std::net::TcpStream::connect(&address).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    conn.write_all(
        b"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.1\n\
          sender=someone@elsewhere.example\nrecipient=nobody@nowhere.example\n\n",
    )
    .unwrap();
    let mut reply = String::new();
    BufReader::new(&conn).read_line(&mut reply).unwrap();
    assert!(reply.starts_with("action="), "policy reply: {reply:?}");
    drop(conn);
    let status = service.terminate(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "policy after SIGTERM: {status:?}");

    // ---- Purge: nothing of the package is left.
    let purged = cleanup.purge();
    assert!(purged.status.success(), "dpkg --purge: {}", String::from_utf8_lossy(&purged.stderr));
    assert!(!package_installed(), "mailadmin is still installed after the purge");
    for gone in [
        "/etc/mailadmin",
        STATE_DIR,
        "/usr/bin/mailadmin",
        "/etc/systemd/system/multi-user.target.wants/mailadmin.service",
    ] {
        assert!(!Path::new(gone).exists(), "{gone} is left after the purge");
    }
    if cleanup.remove_user {
        assert!(!user_exists("mailadmin"), "the test's mailadmin user is left");
    }
    eprintln!("package built in {built_in:?}; the whole test took {:?}", started.elapsed());
}
