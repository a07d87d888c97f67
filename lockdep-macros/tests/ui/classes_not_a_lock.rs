#[lockdep::classes]
struct S {
    #[lockdep(class)]
    m: std::sync::Mutex<u8>,
}

fn main() {}
