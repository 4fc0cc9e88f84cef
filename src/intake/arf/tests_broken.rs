use super::*;

fn nest(n: usize) -> Vec<u8> {
    let unit = b"Content-Type: message/rfc822\r\n\r\n";
    unit.repeat(n)
}

#[test]
fn deep_nesting_probe() {
    for n in [10usize, 100, 1000, 3000, 10000, 30000] {
        let raw = nest(n);
        let m = mail_parser::MessageParser::default().parse(&raw);
        eprintln!("n={n} parsed: {}", m.is_some());
        let depth = {
            let mut d = 0;
            let mut cur = m.as_ref();
            while let Some(x) = cur {
                d += 1;
                cur = x.parts.iter().find_map(|p| p.message());
            }
            d
        };
        eprintln!("  depth {depth}");
        std::mem::forget(m);
        eprintln!("  parse ok");
        let m = mail_parser::MessageParser::default().parse(&raw);
        drop(m);
        eprintln!("  drop ok");
    }
}
