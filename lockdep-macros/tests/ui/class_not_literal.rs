fn main() {
    let name = "dynamic";
    let _c = lockdep::class!(name);
}
