use super::*;

#[test]
fn dump_all() {
    for name in std::fs::read_dir("tests/fixtures/arf").unwrap() {
        let path = name.unwrap().path();
        let raw = std::fs::read(&path).unwrap();
        let r = parse_unguarded(&raw);
        match r {
            Ok(mut r) => {
                let o = r.original.take().map(|o| String::from_utf8_lossy(&o).into_owned());
                eprintln!(
                    "== {}: {:#?}\n candidates {:?}\n original<<{}>>",
                    path.display(),
                    r,
                    r.sender_candidates(),
                    o.unwrap_or_default()
                );
            }
            Err(e) => eprintln!("== {}: {:?}", path.display(), e),
        }
    }
}
