#[lockdep::classes]
enum State {
    Idle,
}

fn main() {}
