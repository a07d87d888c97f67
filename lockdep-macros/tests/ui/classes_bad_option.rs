#[lockdep::classes]
struct S {
    #[lockdep(clas)]
    m: lockdep::Mutex<u8>,
}

fn main() {}
