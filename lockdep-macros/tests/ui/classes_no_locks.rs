#[lockdep::classes]
struct Plain {
    count: u32,
}

fn main() {}
