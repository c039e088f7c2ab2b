//! The guest SDK for shuno screening plugins.
//!
//! A plugin is a type implementing [`Screener`], registered with
//! [`register_screener!`]. The host calls `init` with the pipeline step's
//! JSON configuration in every fresh instance, then one screening function.
//! Every method but `init` has a default that allows everything, so a plugin
//! implements only what it screens.
//!
//! ```ignore
//! use shuno_plugin_sdk::*;
//!
//! struct Mine;
//! impl Screener for Mine {
//!     fn init(_config: &[u8]) -> Result<Self, Error> { Ok(Mine) }
//!     fn screen_bill(&self, bill: &Bill) -> Result<Decision, Error> {
//!         Ok(if bill.amount > 100_000 { Decision::review(vec![Reason::new("BIG", "高額です")]) } else { Decision::allow() })
//!     }
//! }
//! register_screener!(Mine);
//! ```

#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../schema/wit",
        world: "screener",
        pub_export_macro: true,
        export_macro_name: "export_screener",
        default_bindings_module: "shuno_plugin_sdk::bindings",
    });
}

pub mod text;

pub use bindings::shuno::screening::types::{
    Applicant, Application, Bill, Chain, ChainExclusion, CorporateOrigin, Decision, Error,
    LegalForm, Plan, Reason, Usage, Verdict,
};

/// A screening plugin.
pub trait Screener: Sized + Send + Sync + 'static {
    /// Builds the plugin from its JSON configuration (empty or `{}` means the
    /// defaults). An error here refuses the configuration.
    fn init(config: &[u8]) -> Result<Self, Error>;

    /// Screens an onboarding application.
    fn screen_application(&self, _application: &Application) -> Result<Decision, Error> {
        Ok(Decision::allow())
    }

    /// Screens one bill.
    fn screen_bill(&self, _bill: &Bill) -> Result<Decision, Error> {
        Ok(Decision::allow())
    }

    /// Screens a batch of bills: one decision per bill, in order.
    fn screen_bills(&self, bills: &[Bill]) -> Result<Vec<Decision>, Error> {
        bills.iter().map(|bill| self.screen_bill(bill)).collect()
    }
}

impl Reason {
    pub fn new(code: &str, message: &str) -> Self {
        Reason {
            code: code.to_owned(),
            message: message.to_owned(),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

impl Decision {
    pub fn allow() -> Self {
        Decision {
            verdict: Verdict::Allow,
            reasons: Vec::new(),
            excluded_chains: Vec::new(),
        }
    }

    pub fn review(reasons: Vec<Reason>) -> Self {
        Decision {
            verdict: Verdict::Review,
            reasons,
            excluded_chains: Vec::new(),
        }
    }

    pub fn block(reasons: Vec<Reason>) -> Self {
        Decision {
            verdict: Verdict::Block,
            reasons,
            excluded_chains: Vec::new(),
        }
    }

    /// Excludes `chain` for this subject, adding to any earlier reasons.
    pub fn exclude(&mut self, chain: Chain, reason: Reason) {
        match self.excluded_chains.iter_mut().find(|e| e.chain == chain) {
            Some(exclusion) => exclusion.reasons.push(reason),
            None => self.excluded_chains.push(ChainExclusion {
                chain,
                reasons: vec![reason],
            }),
        }
    }
}

impl Error {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Error {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl Chain {
    pub const ALL: [Chain; 3] = [Chain::Lawson, Chain::Ministop, Chain::Familymart];

    /// The name the API and configuration use (`LAWSON`, …).
    pub fn name(self) -> &'static str {
        match self {
            Chain::Lawson => "LAWSON",
            Chain::Ministop => "MINISTOP",
            Chain::Familymart => "FAMILYMART",
        }
    }

    pub fn from_name(name: &str) -> Option<Chain> {
        Chain::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Parses a JSON configuration into `C`; empty input means `C::default()`.
pub fn parse_config<C: serde::de::DeserializeOwned + Default>(config: &[u8]) -> Result<C, Error> {
    if config.iter().all(u8::is_ascii_whitespace) {
        return Ok(C::default());
    }
    serde_json::from_slice(config)
        .map_err(|e| Error::new("INVALID_CONFIG", format!("設定が正しくありません: {e}")))
}

#[doc(hidden)]
pub fn initialised<T>(cell: &std::sync::OnceLock<T>) -> Result<&T, Error> {
    cell.get()
        .ok_or_else(|| Error::new("NOT_INITIALISED", "init が呼ばれていません。"))
}

/// Exports `$t` as the plugin of this component.
#[macro_export]
macro_rules! register_screener {
    ($t:ty) => {
        // Exported only when built as a component: natively the crate is an
        // ordinary library (the host's benchmark links every built-in
        // plugin into one binary to compare with the wasm build).
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            static SCREENER: ::std::sync::OnceLock<$t> = ::std::sync::OnceLock::new();

            struct ShunoScreenerExport;

            impl $crate::bindings::Guest for ShunoScreenerExport {
                fn init(config: ::std::vec::Vec<u8>) -> ::std::result::Result<(), $crate::Error> {
                    let screener = <$t as $crate::Screener>::init(&config)?;
                    SCREENER.set(screener).map_err(|_| {
                        $crate::Error::new("ALREADY_INITIALISED", "init は一度だけ呼べます。")
                    })
                }

                fn screen_application(
                    application: $crate::Application,
                ) -> ::std::result::Result<$crate::Decision, $crate::Error> {
                    $crate::Screener::screen_application(
                        $crate::initialised(&SCREENER)?,
                        &application,
                    )
                }

                fn screen_bills(
                    bills: ::std::vec::Vec<$crate::Bill>,
                ) -> ::std::result::Result<::std::vec::Vec<$crate::Decision>, $crate::Error>
                {
                    $crate::Screener::screen_bills($crate::initialised(&SCREENER)?, &bills)
                }
            }

            $crate::bindings::export_screener!(ShunoScreenerExport);
        };
    };
}
