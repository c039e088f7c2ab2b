//! The built-in plugins, built from `plugins/` and committed as `.wasm`.

/// A plugin every new owner's pipeline starts with, in this order.
pub struct Builtin {
    pub name: &'static str,
    pub version: &'static str,
    pub wasm: &'static [u8],
}

pub const BUILTINS: [Builtin; 4] = [
    Builtin {
        name: "plan-eligibility",
        version: "1.0.0",
        wasm: include_bytes!("../../../plugins/dist/plan-eligibility.wasm"),
    },
    Builtin {
        name: "banned-categories",
        version: "1.0.0",
        wasm: include_bytes!("../../../plugins/dist/banned-categories.wasm"),
    },
    Builtin {
        name: "chain-exclusions",
        version: "1.0.0",
        wasm: include_bytes!("../../../plugins/dist/chain-exclusions.wasm"),
    },
    Builtin {
        name: "antisocial-watchlist",
        version: "1.0.0",
        wasm: include_bytes!("../../../plugins/dist/antisocial-watchlist.wasm"),
    },
];
