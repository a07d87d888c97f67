use lockdep::{LockClass, Mutex};

fn main() {
    let class: &'static LockClass = lockdep::class!("&mm->mmap_sem");
    let m = Mutex::with_class(0, class);
    *m.lock() += 1;
    assert_eq!(class.name(), "&mm->mmap_sem");
}
