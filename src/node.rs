//! Graph nodes (vocabulary): a (class, subclass) pair packed into one `u32`
//! as `class * 8 + subclass`, the index of its node in the class graph.

/// The number of subclasses per class (`lock_nested(0..=7)`), as in the kernel.
pub const MAX_SUBCLASSES: u8 = 8;

/// A graph node: one (class, subclass) pair, packed as `class * 8 + subclass`.
pub(crate) type Node = u32;

/// The node of `class`, subclass `subclass`.
#[inline]
pub(crate) fn node(class: u32, subclass: u8) -> Node {
    class * MAX_SUBCLASSES as u32 + subclass as u32
}

/// The class of a node.
#[inline]
pub(crate) fn node_class(node: Node) -> u32 {
    node / MAX_SUBCLASSES as u32
}

/// The subclass of a node.
#[inline]
pub(crate) fn node_subclass(node: Node) -> u8 {
    (node % MAX_SUBCLASSES as u32) as u8
}
