//! `lockdep::Dump::parse` on arbitrary text: `Ok` or `Err`, never a panic;
//! an accepted dump reads back equal from its own JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(dump) = lockdep::Dump::parse(text, "fuzz.json")
    {
        let again = lockdep::Dump::parse(&dump.to_json().expect("an accepted dump serialises"), "again.json")
            .expect("an accepted dump reads back");
        assert_eq!(again, dump, "an accepted dump reads back equal");
    }
});
