//! `lockdep_scenario::parse` on arbitrary text: `Ok` or `Err`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = lockdep_scenario::parse("fuzz.lds", text);
    }
});
