#[lockdep::test]
#[test]
fn takes_locks() {}

fn main() {}
