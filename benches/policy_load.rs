//! Load generator for `scripts/bench-policy`, and the do-nothing server it is compared with.
//!
//! `policy_load load ADDR CONNS SECONDS SENDERS_FILE RECIPIENTS_FILE` drives a policy service as
//! Postfix does: one request in flight per connection, realistic RCPT requests of ~30
//! attributes, half from hosted senders (SASL) and half inbound to hosted recipients; prints
//! `decisions/s p50_us p99_us` and the answers by kind.
//! `policy_load dunno ADDR` serves `action=DUNNO` to every request: the ceiling of the machine.
//! `policy_load until ADDR SENDER ANSWER` asks for SENDER every millisecond and prints the Unix
//! time (seconds, with fractions) when the answer first contains ANSWER.
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn request(sasl: &str, sender: &str, recipient: &str, n: u64) -> String {
    format!(
        "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=198.51.100.{}\n\
         client_name=mx{n}.example.net\nclient_port={}\nreverse_client_name=mx{n}.example.net\n\
         server_address=127.0.0.1\nserver_port=25\nhelo_name=mx{n}.example.net\nsender={sender}\n\
         recipient={recipient}\nrecipient_count=0\nqueue_id=\ninstance={n:x}.6b04bf07.cb1bd.0\nsize=0\n\
         etrn_domain=\nstress=\nsasl_method={}\nsasl_username={sasl}\nsasl_sender=\nccert_subject=\n\
         ccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\nencryption_protocol=TLSv1.3\n\
         encryption_cipher=TLS_AES_256_GCM_SHA384\nencryption_keysize=256\npolicy_context=\n\n",
        n % 250 + 1,
        40000 + n % 20000,
        if sasl.is_empty() { "" } else { "PLAIN" },
    )
}

async fn read_reply(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<String> {
    buf.clear();
    let mut chunk = [0u8; 512];
    loop {
        if let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            return Ok(String::from_utf8_lossy(&buf[..end]).into_owned());
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .collect()
}

async fn load(addr: String, conns: usize, seconds: u64, senders: Vec<String>, recipients: Vec<String>) {
    let senders = std::sync::Arc::new(senders);
    let recipients = std::sync::Arc::new(recipients);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (addr, senders, recipients) = (addr.clone(), senders.clone(), recipients.clone());
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(&addr).await.expect("connect");
            stream.set_nodelay(true).ok();
            let mut latencies: Vec<u32> = Vec::with_capacity(1 << 20);
            let mut kinds: HashMap<String, u64> = HashMap::new();
            let mut buf = Vec::with_capacity(1024);
            let mut n = c as u64 * 7919;
            while Instant::now() < deadline {
                n += 1;
                let req = if n.is_multiple_of(2) {
                    let s = &senders[(n as usize / 2) % senders.len()];
                    request(s, s, &format!("user{n}@elsewhere.example"), n)
                } else {
                    let r = &recipients[(n as usize / 2) % recipients.len()];
                    request("", &format!("news{n}@elsewhere.example"), r, n)
                };
                let started = Instant::now();
                stream.write_all(req.as_bytes()).await.expect("write");
                let reply = read_reply(&mut stream, &mut buf).await.expect("reply");
                latencies.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
                let kind = reply.trim_start_matches("action=").split(' ').next().unwrap_or("").to_owned();
                *kinds.entry(kind).or_default() += 1;
            }
            (latencies, kinds)
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    let mut kinds: HashMap<String, u64> = HashMap::new();
    for task in tasks {
        let (l, k) = task.await.expect("connection task");
        all.extend(l);
        for (kind, n) in k {
            *kinds.entry(kind).or_default() += n;
        }
    }
    let elapsed = started.elapsed().as_secs_f64().max(seconds as f64);
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(0)
    };
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort();
    println!(
        "{:.0} {} {} {}",
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        kinds.iter().map(|(k, n)| format!("{k}={n}")).collect::<Vec<_>>().join(",")
    );
}

async fn dunno(addr: String) {
    let listener = TcpListener::bind(&addr).await.expect("bind");
    eprintln!("do-nothing policy server on {}", listener.local_addr().unwrap());
    loop {
        let (mut stream, _) = listener.accept().await.expect("accept");
        stream.set_nodelay(true).ok();
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(2048);
            let mut scanned: usize = 0;
            loop {
                if let Some(pos) = buf[scanned.saturating_sub(1)..].windows(2).position(|w| w == b"\n\n") {
                    let end = scanned.saturating_sub(1) + pos + 2;
                    buf.drain(..end);
                    scanned = 0;
                    if stream.write_all(b"action=DUNNO\n\n").await.is_err() {
                        return;
                    }
                    continue;
                }
                scanned = buf.len();
                match stream.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        });
    }
}

async fn until(addr: String, sender: String, want: String) {
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    let mut buf = Vec::new();
    let req = request(&sender, &sender, "someone@elsewhere.example", 1);
    loop {
        stream.write_all(req.as_bytes()).await.expect("write");
        let reply = read_reply(&mut stream, &mut buf).await.expect("reply");
        if reply.contains(&want) {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            println!("{:.6}", now.as_secs_f64());
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    match args.first().map(String::as_str) {
        Some("load") if args.len() == 6 => runtime.block_on(load(
            args[1].clone(),
            args[2].parse().expect("CONNS"),
            args[3].parse().expect("SECONDS"),
            lines(&args[4]),
            lines(&args[5]),
        )),
        Some("dunno") if args.len() == 2 => runtime.block_on(dunno(args[1].clone())),
        Some("until") if args.len() == 4 => {
            runtime.block_on(until(args[1].clone(), args[2].clone(), args[3].clone()))
        }
        // `cargo bench` and `cargo test --benches` run this with no arguments: nothing to do.
        None => {}
        _ => {
            eprintln!(
                "usage: policy_load load ADDR CONNS SECONDS SENDERS RECIPIENTS | dunno ADDR | until ADDR SENDER ANSWER"
            );
            std::process::exit(2);
        }
    }
}
