#[lockdep::test(strict)]
fn takes_locks() {}

fn main() {}
