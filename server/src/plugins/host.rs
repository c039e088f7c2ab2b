//! The plugin host: one wasmtime `Engine` (pooling allocator, fuel, epoch
//! interruption), each plugin compiled once and kept as an `InstancePre`, and
//! a fresh `Store` per call with its own limits.
//!
//! A plugin is granted only the WASI interfaces a `wasm32-wasip2` Rust guest
//! imports, emptied: no preopened directories, no environment, no sockets
//! (never linked, so a component that imports them is refused at upload),
//! frozen clocks and seeded randomness. Every call is deterministic.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store,
    Trap,
    component::{Component, HasData, Linker, ResourceTable},
};
use wasmtime_wasi::{
    Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView,
    cli::{WasiCli, WasiCliView as _},
    clocks::{WasiClocks, WasiClocksView as _},
    filesystem::{WasiFilesystem, WasiFilesystemView as _},
    random::WasiRandom,
};

/// Types generated from `schema/wit/screening.wit`.
pub mod wit {
    wasmtime::component::bindgen!({
        path: "../schema/wit",
        world: "screener",
    });
    pub use self::shuno::screening::types::*;
}

/// The most linear memory any call may be given, whatever its step says.
pub const MEMORY_CEILING: usize = 64 << 20;
/// How often the epoch advances; deadlines are whole ticks.
const EPOCH_TICK: Duration = Duration::from_millis(5);
/// Calls running at once; the pool is sized for this many instances.
const CONCURRENT_CALLS: usize = 32;

/// The budget of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Wasm fuel (roughly, instructions): deterministic "out of budget".
    pub fuel: u64,
    /// Wall-clock backstop.
    pub deadline: Duration,
    /// Linear memory, bytes.
    pub memory_bytes: usize,
    /// Size of the decision(s) returned, bytes of text plus a fixed cost per item.
    pub output_bytes: usize,
}

impl Default for CallLimits {
    fn default() -> Self {
        Self {
            fuel: 10_000_000,
            deadline: Duration::from_millis(50),
            memory_bytes: 16 << 20,
            output_bytes: 256 << 10,
        }
    }
}

/// Why a plugin call failed. Every failure sends the subject to review.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginFailure {
    #[error("the plugin ran out of fuel")]
    FuelExhausted,
    #[error("the plugin ran past its deadline")]
    DeadlineExceeded,
    #[error("the plugin needed more memory than allowed")]
    MemoryExceeded,
    #[error("the plugin returned {0} bytes, more than allowed")]
    OutputTooLarge(usize),
    #[error("the plugin trapped: {0}")]
    Trapped(String),
    #[error("the plugin returned a malformed result: {0}")]
    Malformed(String),
    #[error("the plugin refused: {code}: {message}")]
    Refused { code: String, message: String },
    #[error("the plugin could not be started: {0}")]
    Instantiation(String),
}

impl PluginFailure {
    /// A stable code for records and reviewers.
    pub fn code(&self) -> &'static str {
        match self {
            PluginFailure::FuelExhausted => "PLUGIN_FUEL_EXHAUSTED",
            PluginFailure::DeadlineExceeded => "PLUGIN_DEADLINE_EXCEEDED",
            PluginFailure::MemoryExceeded => "PLUGIN_MEMORY_EXCEEDED",
            PluginFailure::OutputTooLarge(_) => "PLUGIN_OUTPUT_TOO_LARGE",
            PluginFailure::Trapped(_) => "PLUGIN_TRAPPED",
            PluginFailure::Malformed(_) => "PLUGIN_MALFORMED_RESULT",
            PluginFailure::Refused { .. } => "PLUGIN_ERROR",
            PluginFailure::Instantiation(_) => "PLUGIN_INSTANTIATION_FAILED",
        }
    }
}

/// A compiled plugin, ready to instantiate.
pub struct Compiled {
    pre: wit::ScreenerPre<HostState>,
    pub sha256: [u8; 32],
}

/// What one call produced, with the fuel it used.
pub struct Screened<T> {
    pub value: T,
    pub fuel_used: u64,
}

/// Refuses memory growth past the call's cap and remembers that it did.
struct MemoryCap {
    limit: usize,
    hit: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.limit;
        self.hit |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    memory: MemoryCap,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// 2026-01-01T00:00:00Z, the only time a plugin ever sees.
const FROZEN_EPOCH: Duration = Duration::from_secs(1_767_225_600);

struct FrozenWallClock;
impl HostWallClock for FrozenWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        FROZEN_EPOCH
    }
}

struct FrozenMonotonicClock;
impl HostMonotonicClock for FrozenMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

impl HostState {
    fn new(memory_limit: usize) -> Self {
        let seed: Vec<u8> = b"shuno-screening-deterministic-seed".to_vec();
        let wasi = WasiCtx::builder()
            .wall_clock(FrozenWallClock)
            .monotonic_clock(FrozenMonotonicClock)
            .secure_random(Deterministic::new(seed.clone()))
            .insecure_random(Deterministic::new(seed))
            .insecure_random_seed(0x5eed)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryCap {
                limit: memory_limit.min(MEMORY_CEILING),
                hit: false,
            },
        }
    }
}

struct Io;
impl HasData for Io {
    type Data<'a> = &'a mut ResourceTable;
}

/// Links the WASI interfaces a wasm32-wasip2 Rust guest imports, and nothing
/// else: no sockets, no name lookup.
fn link_wasi(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    use wasmtime_wasi::p2::bindings::{cli, clocks, filesystem, random, sync};
    let l = linker;
    sync::io::error::add_to_linker::<HostState, Io>(l, |t| &mut t.table)?;
    sync::io::poll::add_to_linker::<HostState, Io>(l, |t| &mut t.table)?;
    sync::io::streams::add_to_linker::<HostState, Io>(l, |t| &mut t.table)?;
    clocks::wall_clock::add_to_linker::<HostState, WasiClocks>(l, HostState::clocks)?;
    clocks::monotonic_clock::add_to_linker::<HostState, WasiClocks>(l, HostState::clocks)?;
    random::random::add_to_linker::<HostState, WasiRandom>(l, |t| t.wasi.random())?;
    random::insecure::add_to_linker::<HostState, WasiRandom>(l, |t| t.wasi.random())?;
    random::insecure_seed::add_to_linker::<HostState, WasiRandom>(l, |t| t.wasi.random())?;
    filesystem::preopens::add_to_linker::<HostState, WasiFilesystem>(l, HostState::filesystem)?;
    sync::filesystem::types::add_to_linker::<HostState, WasiFilesystem>(l, HostState::filesystem)?;
    cli::exit::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::environment::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::stdin::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::stdout::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::stderr::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_input::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_output::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_stdin::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_stdout::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_stderr::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    Ok(())
}

/// Runs plugins. One per process (see [`PluginHost::shared`]): the engine,
/// its epoch ticker and the compiled plugins are shared by every server in
/// the process.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<HostState>,
    compiled: Mutex<HashMap<[u8; 32], Arc<Compiled>>>,
    slots: Semaphore,
}

/// Why a component cannot be a plugin.
#[derive(Debug, thiserror::Error)]
pub enum RefusedComponent {
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    #[error(
        "imports an interface that is not granted, or does not export the `screener` world: {0}"
    )]
    WrongWorld(String),
}

impl PluginHost {
    /// The process-wide host.
    pub fn shared() -> anyhow::Result<&'static PluginHost> {
        static HOST: OnceLock<Result<PluginHost, String>> = OnceLock::new();
        HOST.get_or_init(|| PluginHost::new().map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow::anyhow!("plugin host: {e}"))
    }

    fn new() -> anyhow::Result<Self> {
        let mut pool = PoolingAllocationConfig::default();
        let slots = CONCURRENT_CALLS as u32;
        pool.total_component_instances(slots)
            .total_core_instances(slots * 8)
            .max_core_instances_per_component(8)
            .total_memories(slots * 2)
            .max_memories_per_component(2)
            .total_tables(slots * 4)
            .max_tables_per_component(4)
            .max_memory_size(MEMORY_CEILING)
            // Released memory is decommitted in batches, not call by call:
            // fewer TLB shootdowns in the fixed cost of a call.
            .decommit_batch_size(CONCURRENT_CALLS);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let mut linker = Linker::new(&engine);
        link_wasi(&mut linker).map_err(|e| anyhow::anyhow!("{e:#}"))?;

        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })?;
        Ok(Self {
            engine,
            linker,
            compiled: Mutex::new(HashMap::new()),
            slots: Semaphore::new(CONCURRENT_CALLS),
        })
    }

    pub fn sha256(wasm: &[u8]) -> [u8; 32] {
        Sha256::digest(wasm).into()
    }

    /// The compiled plugin with this SHA-256, if this process has compiled it.
    pub fn cached(&self, sha256: &[u8; 32]) -> Option<Arc<Compiled>> {
        self.compiled
            .lock()
            .ok()
            .and_then(|c| c.get(sha256).cloned())
    }

    /// Compiles a component once (by content) and checks that it is of the
    /// `screener` world with only granted imports. Blocking: call it from a
    /// blocking thread for untrusted uploads.
    pub fn compile(&self, wasm: &[u8]) -> Result<Arc<Compiled>, RefusedComponent> {
        let sha256 = Self::sha256(wasm);
        if let Some(found) = self
            .compiled
            .lock()
            .ok()
            .and_then(|c| c.get(&sha256).cloned())
        {
            return Ok(found);
        }
        let component = Component::new(&self.engine, wasm)
            .map_err(|e| RefusedComponent::NotAComponent(format!("{e:#}")))?;
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| RefusedComponent::WrongWorld(format!("{e:#}")))?;
        let pre = wit::ScreenerPre::new(instance_pre)
            .map_err(|e| RefusedComponent::WrongWorld(format!("{e:#}")))?;
        let compiled = Arc::new(Compiled { pre, sha256 });
        if let Ok(mut cache) = self.compiled.lock() {
            cache.insert(sha256, compiled.clone());
        }
        Ok(compiled)
    }

    /// Instantiates `plugin` afresh, runs `init(config)`, then `call`.
    pub async fn run<T: Send + 'static>(
        &'static self,
        plugin: Arc<Compiled>,
        limits: CallLimits,
        config: Vec<u8>,
        call: impl FnOnce(
            &wit::Screener,
            &mut Store<HostState>,
        ) -> wasmtime::Result<Result<T, wit::Error>>
        + Send
        + 'static,
        output_size: impl FnOnce(&T) -> usize + Send + 'static,
    ) -> Result<Screened<T>, PluginFailure> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| PluginFailure::Instantiation("host closed".into()))?;
        tokio::task::spawn_blocking(move || {
            self.run_blocking(&plugin, limits, &config, call, output_size)
        })
        .await
        .map_err(|e| PluginFailure::Trapped(format!("host task failed: {e}")))?
    }

    fn run_blocking<T>(
        &self,
        plugin: &Compiled,
        limits: CallLimits,
        config: &[u8],
        call: impl FnOnce(
            &wit::Screener,
            &mut Store<HostState>,
        ) -> wasmtime::Result<Result<T, wit::Error>>,
        output_size: impl FnOnce(&T) -> usize,
    ) -> Result<Screened<T>, PluginFailure> {
        let mut store = Store::new(&self.engine, HostState::new(limits.memory_bytes));
        store.limiter(|state| &mut state.memory);
        store
            .set_fuel(limits.fuel)
            .map_err(|e| PluginFailure::Instantiation(e.to_string()))?;
        let ticks = limits
            .deadline
            .as_millis()
            .div_ceil(EPOCH_TICK.as_millis())
            .max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();

        let outcome = (|| {
            let screener = plugin.pre.instantiate(&mut store)?;
            if let Err(refusal) = screener.call_init(&mut store, config)? {
                return Ok(Err(refusal));
            }
            call(&screener, &mut store)
        })();
        let memory_hit = store.data().memory.hit;
        let fuel_used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        match outcome {
            Ok(Ok(value)) => {
                let size = output_size(&value);
                if size > limits.output_bytes {
                    return Err(PluginFailure::OutputTooLarge(size));
                }
                Ok(Screened { value, fuel_used })
            }
            Ok(Err(refusal)) => Err(PluginFailure::Refused {
                code: refusal.code,
                message: refusal.message,
            }),
            Err(error) => Err(match error.downcast_ref::<Trap>() {
                Some(Trap::OutOfFuel) => PluginFailure::FuelExhausted,
                Some(Trap::Interrupt) => PluginFailure::DeadlineExceeded,
                _ if memory_hit => PluginFailure::MemoryExceeded,
                Some(trap) => PluginFailure::Trapped(trap.to_string()),
                None => PluginFailure::Trapped(format!("{error:#}")),
            }),
        }
    }

    /// Runs only `init`: whether `config` is acceptable to the plugin.
    pub async fn check_config(
        &'static self,
        plugin: Arc<Compiled>,
        limits: CallLimits,
        config: Vec<u8>,
    ) -> Result<(), PluginFailure> {
        self.run(plugin, limits, config, |_, _| Ok(Ok(())), |_| 0)
            .await
            .map(|_| ())
    }

    pub async fn screen_application(
        &'static self,
        plugin: Arc<Compiled>,
        limits: CallLimits,
        config: Vec<u8>,
        application: wit::Application,
    ) -> Result<Screened<wit::Decision>, PluginFailure> {
        self.run(
            plugin,
            limits,
            config,
            move |screener, store| screener.call_screen_application(store, &application),
            decision_size,
        )
        .await
    }

    pub async fn screen_bills(
        &'static self,
        plugin: Arc<Compiled>,
        limits: CallLimits,
        config: Vec<u8>,
        bills: Vec<wit::Bill>,
    ) -> Result<Screened<Vec<wit::Decision>>, PluginFailure> {
        let expected = bills.len();
        let screened = self
            .run(
                plugin,
                limits,
                config,
                move |screener, store| screener.call_screen_bills(store, &bills),
                |decisions: &Vec<wit::Decision>| decisions.iter().map(decision_size).sum(),
            )
            .await?;
        if screened.value.len() != expected {
            return Err(PluginFailure::Malformed(format!(
                "{} decisions for {expected} bills",
                screened.value.len()
            )));
        }
        Ok(screened)
    }
}

fn reasons_size(reasons: &[wit::Reason]) -> usize {
    reasons
        .iter()
        .map(|r| 16 + r.code.len() + r.message.len() + r.detail.as_ref().map_or(0, String::len))
        .sum()
}

fn decision_size(decision: &wit::Decision) -> usize {
    16 + reasons_size(&decision.reasons)
        + decision
            .excluded_chains
            .iter()
            .map(|e| 8 + reasons_size(&e.reasons))
            .sum::<usize>()
}
