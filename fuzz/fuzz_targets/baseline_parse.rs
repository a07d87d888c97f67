//! `lockdep_cli::Baseline::parse` on arbitrary text: `Ok` or `Err`, never
//! a panic; an accepted baseline reads back equal from its own JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lockdep_cli::Baseline;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(baseline) = Baseline::parse(text, "fuzz.json")
    {
        let again = Baseline::parse(&baseline.to_json().expect("an accepted baseline serialises"), "again.json")
            .expect("an accepted baseline reads back");
        assert_eq!(again, baseline, "an accepted baseline reads back equal");
    }
});
