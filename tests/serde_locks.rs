//! Feature `serde`: the locks serialize and deserialize as parking_lot's do
//! (the data alone, taken under the lock).
#![cfg(feature = "serde")]

#[test]
fn locks_round_trip_like_parking_lot() {
    let ours = lockdep::Mutex::new(vec![1, 2]);
    let theirs = parking_lot::Mutex::new(vec![1, 2]);
    let json = serde_json::to_string(&ours).unwrap();
    assert_eq!(json, serde_json::to_string(&theirs).unwrap());
    let back: lockdep::Mutex<Vec<i32>> = serde_json::from_str(&json).unwrap();
    assert_eq!(*back.lock(), [1, 2]);

    let rw = lockdep::RwLock::new("x".to_string());
    let json = serde_json::to_string(&rw).unwrap();
    assert_eq!(
        json,
        serde_json::to_string(&parking_lot::RwLock::new("x")).unwrap()
    );
    let back: lockdep::RecursiveRwLock<String> = serde_json::from_str(&json).unwrap();
    assert_eq!(*back.read(), "x");

    let fair: lockdep::FairMutex<u8> = serde_json::from_str("7").unwrap();
    assert_eq!(serde_json::to_string(&fair).unwrap(), "7");
    let re: lockdep::ReentrantMutex<u8> = serde_json::from_str("8").unwrap();
    assert_eq!(serde_json::to_string(&re).unwrap(), "8");
    assert!(!ours.is_held() && !rw.is_held());
}
