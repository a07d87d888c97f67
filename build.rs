//! Turns the cargo feature `off` into the `lockdep_off` cfg, and passes a
//! `--cfg lockdep_off` given in `RUSTFLAGS` on to rustdoc: every target of the
//! package (library, tests, examples, doctests) then sees one cfg,
//! `lockdep_off`, whichever way checking was compiled out.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let feature = std::env::var_os("CARGO_FEATURE_OFF").is_some();
    // Set when `--cfg lockdep_off` is in RUSTFLAGS (cargo asks rustc for the
    // target's cfgs with those flags); rustdoc does not see RUSTFLAGS itself.
    let rustflags = std::env::var_os("CARGO_CFG_LOCKDEP_OFF").is_some();
    if feature || rustflags {
        println!("cargo::rustc-cfg=lockdep_off");
    }
}
