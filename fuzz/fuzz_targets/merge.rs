//! `lockdep merge` on arbitrary dumps: every text the dump reader accepts is
//! merged with itself (the union of one process's graph twice, plus any
//! cross-process cycle search); the merge never panics and its result reads
//! back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(dump) = lockdep::Dump::parse(text, "fuzz.json")
    {
        let merged = lockdep_cli::merge::merge(&[dump.clone(), dump]);
        let json = merged.to_json().expect("a merged dump serialises");
        lockdep::Dump::parse(&json, "merged.json").expect("a merged dump reads back");
    }
});
