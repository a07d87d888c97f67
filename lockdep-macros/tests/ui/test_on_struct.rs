#[lockdep::test]
struct NotAFunction;

fn main() {}
