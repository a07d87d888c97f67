fn main() {
    let _c = lockdep::class!();
}
