#[lockdep::test]
fn takes_locks<T>() {}

fn main() {}
