#[lockdep::test]
async fn takes_locks() {}

fn main() {}
