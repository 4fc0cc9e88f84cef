//! Fuzzes the ARF feedback-report parser: no input may panic, overflow the stack, hang or
//! exhaust memory. libfuzzer-sys aborts on any panic, even one `parse` would catch.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = mailadmin::intake::arf::parse(data, 1 << 20) {
        let _ = report.sender_candidates();
        let _ = report.feedback_type.counts();
    }
});
