#[lockdep::classes]
struct Wrapper(lockdep::Mutex<u8>);

fn main() {}
