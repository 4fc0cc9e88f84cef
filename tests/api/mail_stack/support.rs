//! What the private mail stack stands on: tools present, free ports, file modes, the IMAP and
//! POP3 client, and reading what `mail-config` printed.
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub fn require(binary: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {binary}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "this test needs {binary}: apt-get install {package} (scripts/test installs it)");
}

pub(super) fn require_file(path: &str, package: &str) {
    assert!(
        Path::new(path).exists(),
        "this test needs {path}: apt-get install {package} (scripts/test installs it)"
    );
}

pub(super) fn python() -> String {
    std::env::var("MAILADMIN_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// A free loopback port below the ephemeral range (where outgoing connections take theirs). A
/// race with another test is caught when the server fails to bind: the caller retries.
pub(super) fn free_port(taken: &[u16]) -> u16 {
    loop {
        let port = 20000 + rand::random::<u16>() % 12000;
        if !taken.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

pub(super) fn mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

pub(super) fn chown(path: &Path, owner: &str) {
    let status = Command::new("chown").arg(owner).arg(path).status().expect("run chown");
    assert!(status.success(), "chown {owner} {}", path.display());
}

/// A child's output, stdout and stderr together.
pub(super) fn output(cmd: &mut Command) -> (bool, i32, String) {
    let out = tokio::task::block_in_place(|| cmd.stdin(Stdio::null()).output())
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), out.status.code().unwrap_or(-1), text)
}

/// A process that is still there (and not a zombie).
pub(super) fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
}

pub(super) const IMAP_POP3_CLIENT: &str = r#"
import imaplib, poplib, socket, sys
proto, port, source, user, password = sys.argv[1:6]
def connect(self, timeout):
    return socket.create_connection((self.host, self.port), timeout or 10, source_address=(source, 0))
def text(e):
    a = e.args[0] if e.args else e
    return a.decode() if isinstance(a, bytes) else str(a)
if proto == 'imap':
    class Client(imaplib.IMAP4):
        _create_socket = connect
    c = Client('127.0.0.1', int(port), timeout=10)
    try:
        c.login(user, password)
    except imaplib.IMAP4.error as e:
        print('AUTH-FAILED ' + text(e)); sys.exit(0)
    c.select('INBOX', readonly=True)
    _, data = c.search(None, 'ALL')
    for n in data[0].split():
        _, d = c.fetch(n, '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
        print('SUBJECT ' + d[0][1].decode().split(':', 1)[1].strip())
    c.logout()
else:
    class Client(poplib.POP3):
        _create_socket = connect
    c = Client('127.0.0.1', int(port), timeout=10)
    try:
        c.user(user)
        c.pass_(password)
    except poplib.error_proto as e:
        print('AUTH-FAILED ' + text(e)); sys.exit(0)
    count, _ = c.stat()
    for n in range(1, count + 1):
        for line in c.top(n, 0)[1]:
            if line.lower().startswith(b'subject:'):
                print('SUBJECT ' + line.decode().split(':', 1)[1].strip())
    c.quit()
print('LOGGED-IN')
"#;

pub(super) fn between(line: &str, start: &str, end: &str) -> Option<String> {
    let (_, rest) = line.split_once(start)?;
    Some(rest.split(end).next().unwrap_or(rest).trim_end_matches(',').to_owned())
}

/// The lines after the line `from` up to the line starting with `until` (or the end), comments
/// of the printed text left out.
pub(super) fn printed_section(printed: &str, from: &str, until: &str) -> String {
    let mut lines = printed.lines().skip_while(|l| !l.starts_with(from)).skip(1);
    let mut out = String::new();
    for line in lines.by_ref() {
        if !until.is_empty() && line.starts_with(until) {
            break;
        }
        if !line.starts_with('#') {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(!out.is_empty(), "no {from:?} section in:\n{printed}");
    out
}

/// Does the SMTP server greet with 220?
pub(super) fn smtp_greets(port: u16) -> bool {
    use std::io::{BufRead, BufReader, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let mut line = String::new();
    let greeted = BufReader::new(&stream).read_line(&mut line).is_ok() && line.starts_with("220");
    let _ = stream.write_all(b"QUIT\r\n");
    greeted
}

/// SQLite in WAL mode: Postfix's proxymap (user postfix) and Dovecot's dict (user dovecot, which
/// writes mailbox_quota_usage) open the database and create or open its -wal and -shm files,
/// so those must be writable by them, and so must the directory.
pub(super) fn share_sqlite_database(database_url: &str) {
    let path = database_url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = Path::new(path.split('?').next().unwrap());
    assert!(
        path.is_absolute() && path.exists(),
        "the test database {} is not an absolute, existing file",
        path.display()
    );
    let dir = path.parent().unwrap();
    let dir_mode = std::fs::metadata(dir).unwrap().permissions().mode();
    if dir_mode & 0o002 == 0 {
        mode(dir, dir_mode | 0o1777);
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            mode(&file, 0o666);
        }
    }
}
