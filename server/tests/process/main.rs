//! The `shuno` binary run as a user and an operator would: one test binary.
mod binary;
mod durability;
