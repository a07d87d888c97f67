//! ABBA: two threads take two locks in opposite orders, one after the other.
//!
//! Nothing deadlocks in this run: the first thread finishes before the second
//! starts. lockdep still reports the possible deadlock, because the second
//! order closes a cycle in the lock-class graph.
//!
//! `cargo run --example abba`

use std::thread;

use lockdep::{LockClass, Mutex};

static ACCOUNTS: LockClass = LockClass::new("&bank->accounts");
static LEDGER: LockClass = LockClass::new("&bank->ledger");

struct Bank {
    accounts: Mutex<Vec<u64>>,
    ledger: Mutex<Vec<String>>,
}

fn transfer(bank: &Bank) {
    let mut accounts = bank.accounts.lock();
    accounts[0] -= 10;
    accounts[1] += 10;
    bank.ledger.lock().push("transfer 10".into());
}

fn audit(bank: &Bank) {
    let ledger = bank.ledger.lock();
    let total: u64 = bank.accounts.lock().iter().sum();
    println!("audit: {} entries, total {total}", ledger.len());
}

fn main() {
    let bank = Bank {
        accounts: Mutex::with_class(vec![100, 100], &ACCOUNTS),
        ledger: Mutex::with_class(Vec::new(), &LEDGER),
    };
    thread::scope(|s| {
        thread::Builder::new()
            .name("transfer".into())
            .spawn_scoped(s, || transfer(&bank))
            .unwrap()
            .join()
            .unwrap();
    });
    thread::scope(|s| {
        thread::Builder::new()
            .name("audit".into())
            .spawn_scoped(s, || audit(&bank))
            .unwrap()
            .join()
            .unwrap();
    });
    let reports = lockdep::reports();
    println!("lockdep found {} problem(s)", reports.len());
    for r in &reports {
        println!("  {:?}: {}", r.kind, r.classes().join(" -> "));
    }
}
