//! Screening plugins: the wasmtime host that runs them, the built-ins that
//! ship with the server, and the combination of a pipeline's decisions.
//!
//! This is infrastructure, like the store: it knows nothing of who may call
//! it. The services decide who uploads, arranges and screens.

pub mod builtin;
pub mod host;
pub mod outcome;

pub use host::{CallLimits, Compiled, PluginFailure, PluginHost, Screened, wit};
