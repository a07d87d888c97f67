//! The proptest generator of lock programs.
//!
//! A program is drawn as raw numbers (so proptest can shrink them: fewer
//! lines, fewer ops, smaller indices) and then *interpreted* into ops with a
//! simulated held stack per line, which keeps programs well-formed enough to
//! be interesting: releases mostly pick a lock the line holds (any of them,
//! so out-of-order releases are common), nest locks mostly name a held lock.
//! A `wild` draw (3 in 100) picks any object instead, giving unlock imbalances,
//! nest locks not held and re-initialised held locks.
//!
//! Shape: 2-6 lines, 1-10 ops a line, 2-8 classes with 1-3 objects each,
//! subclasses 0-2 (0 most of the time), ops W / R / RR / T / TR / U / INIT.

use proptest::prelude::*;

use super::program::{Obj, Op, OpKind, Program};

/// One op as drawn: interpreted by [`build`].
#[derive(Clone, Debug)]
struct RawOp {
    /// 0-99: which op (see [`build`] for the weights).
    what: u8,
    /// Picks the class / the held entry.
    pick: u8,
    /// Picks the object within the class.
    obj: u8,
    /// 0-9: subclass 0 (0-6), 1 (7-8), 2 (9).
    sub: u8,
    /// 0-99: a nest lock if 85 or more (shrinks towards no nest lock).
    nest: u8,
    /// Picks the nest lock.
    nest_pick: u8,
    /// Ignore the held stack for this op's choices.
    wild: bool,
    /// Acquire a class not below any held one (a lock order discipline
    /// most of the time, so that not every program ends in a cycle).
    ordered: bool,
}

/// One raw op, every field drawn independently.
fn raw_op() -> impl Strategy<Value = RawOp> {
    (
        0u8..100,
        any::<u8>(),
        any::<u8>(),
        0u8..10,
        0u8..100,
        any::<u8>(),
        prop::bool::weighted(0.03),
        prop::bool::weighted(0.6),
    )
        .prop_map(
            |(what, pick, obj, sub, nest, nest_pick, wild, ordered)| RawOp {
                what,
                pick,
                obj,
                sub,
                nest,
                nest_pick,
                wild,
                ordered,
            },
        )
}

/// Class names of generated programs: `A`, `B`, ... (`.lds` names).
pub const CLASS_NAMES: [&str; 8] = ["A", "B", "C", "D", "E", "F", "G", "H"];

/// Programs as described in the module documentation.
pub fn program() -> impl Strategy<Value = Program> {
    (
        prop::collection::vec(1u8..=3, 2..=8),
        prop::collection::vec(prop::collection::vec(raw_op(), 1..=10), 2..=6),
    )
        .prop_map(|(objects, lines)| build(&objects, &lines))
}

/// Interprets raw draws: `objects[c]` = number of objects of class `c`.
fn build(objects: &[u8], lines: &[Vec<RawOp>]) -> Program {
    let classes = objects.len();
    let any_obj = |pick: u8, obj: u8| {
        let class = pick % classes as u8;
        Obj {
            class,
            obj: obj % objects[class as usize],
        }
    };
    let mut out = Vec::new();
    for raw in lines {
        // The simulated held stack: object, node, op.
        let mut held: Vec<(Obj, (u8, u8), OpKind)> = Vec::new();
        let mut ops = Vec::new();
        for r in raw {
            // 58% blocking acquire, 10% trylock, 28% release, 4% INIT; a
            // release with nothing held (not wild) becomes a W.
            let mut kind = match r.what {
                0..=23 => OpKind::W,
                24..=39 => OpKind::R,
                40..=57 => OpKind::RR,
                58..=63 => OpKind::T,
                64..=67 => OpKind::TR,
                68..=95 => OpKind::U,
                _ => OpKind::Init,
            };
            if kind == OpKind::U && held.is_empty() && !r.wild {
                kind = OpKind::W;
            }
            let op = match kind {
                OpKind::U => {
                    let obj = if r.wild {
                        any_obj(r.pick, r.obj)
                    } else {
                        held[r.pick as usize % held.len()].0
                    };
                    if let Some(i) = held.iter().rposition(|h| h.0 == obj) {
                        held.remove(i);
                    }
                    Op {
                        kind,
                        obj,
                        sub: 0,
                        nest: None,
                    }
                }
                OpKind::Init => {
                    // Mostly an object not held (held: `reinit-held`).
                    let mut obj = any_obj(r.pick, r.obj);
                    if !r.wild {
                        for step in 0..classes as u8 {
                            let o = any_obj(r.pick.wrapping_add(step), r.obj);
                            if !held.iter().any(|h| h.0 == o) {
                                obj = o;
                                break;
                            }
                        }
                    }
                    held.retain(|h| h.0 != obj);
                    Op {
                        kind,
                        obj,
                        sub: 0,
                        nest: None,
                    }
                }
                _ => {
                    let sub = match r.sub {
                        0..=6 => 0,
                        7..=8 => 1,
                        _ => 2,
                    };
                    let blocking = matches!(kind, OpKind::W | OpKind::R | OpKind::RR);
                    let nest = if !blocking || r.nest < 85 {
                        None
                    } else if r.wild {
                        Some(any_obj(r.nest_pick, r.nest_pick / 8))
                    } else if held.is_empty() {
                        None
                    } else {
                        Some(held[r.nest_pick as usize % held.len()].0)
                    };
                    // Mostly avoid a same-class acquisition that would be
                    // `recursive` (unless wild or naming a nest lock, which
                    // is how the nest exemption gets exercised).
                    let conflicts = |o: Obj| {
                        blocking
                            && held.iter().any(|h| {
                                h.1 == (o.class, sub)
                                    && (kind != OpKind::RR || matches!(h.2, OpKind::W | OpKind::T))
                            })
                    };
                    let lo = match held.iter().map(|h| h.0.class).max() {
                        Some(top) if r.ordered && !r.wild => top,
                        _ => 0,
                    };
                    let span = classes as u8 - lo;
                    let in_order = |k: u8| any_obj(lo + k % span, r.obj);
                    let mut obj = in_order(r.pick);
                    if !r.wild && nest.is_none() {
                        let candidates = (0..classes as u8)
                            .map(|step| in_order(r.pick.wrapping_add(step)))
                            .chain(
                                (0..classes as u8)
                                    .map(|step| any_obj(r.pick.wrapping_add(step), r.obj)),
                            );
                        if let Some(o) = candidates.into_iter().find(|&o| !conflicts(o)) {
                            obj = o;
                        }
                    }
                    held.push((obj, (obj.class, sub), kind));
                    Op {
                        kind,
                        obj,
                        sub,
                        nest,
                    }
                }
            };
            ops.push(op);
        }
        out.push(ops);
    }
    Program {
        class_names: CLASS_NAMES[..classes]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        lines: out,
    }
}
