#[lockdep::test]
fn takes_locks(n: u32) {
    let _ = n;
}

fn main() {}
