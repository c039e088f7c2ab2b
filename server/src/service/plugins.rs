//! The plugin registry and the per-owner screening pipelines.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use sea_orm::ConnectionTrait;

use super::{Ctx, Page, PageRequest, ServiceError, Services, UserError, organisations::scope_of};
use crate::{
    authz::Scope,
    plugins::{CallLimits, PluginFailure, PluginHost, builtin::BUILTINS, host::MEMORY_CEILING},
    store::{
        self,
        entity::screening_step::Model as Step,
        plugins::{NewPlugin, NewStep, PluginMeta},
    },
};

/// The largest plugin accepted.
pub const MAX_PLUGIN_BYTES: usize = 2 * 1024 * 1024;
/// The most steps one pipeline may have.
const MAX_STEPS: usize = 20;

pub struct UploadPlugin {
    pub name: String,
    pub version: String,
    pub wasm_base64: String,
}

/// One step as a reviewer arranges it. Limits left out take the defaults.
pub struct StepInput {
    pub plugin_id: i64,
    pub config: Option<serde_json::Value>,
    pub fuel: Option<i64>,
    pub deadline_ms: Option<i32>,
    pub memory_bytes: Option<i64>,
    pub output_bytes: Option<i64>,
}

/// The budget of a stored step.
pub fn limits_of(step: &Step) -> CallLimits {
    let defaults = CallLimits::default();
    CallLimits {
        fuel: step.fuel.map_or(defaults.fuel, |f| f as u64),
        deadline: step
            .deadline_ms
            .map_or(defaults.deadline, |ms| Duration::from_millis(ms as u64)),
        memory_bytes: step
            .memory_bytes
            .map_or(defaults.memory_bytes, |b| b as usize),
        output_bytes: step
            .output_bytes
            .map_or(defaults.output_bytes, |b| b as usize),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Stores the built-in plugins that are not stored yet; returns their ids in
/// pipeline order.
pub async fn ensure_builtins(db: &impl ConnectionTrait) -> Result<Vec<i64>, ServiceError> {
    let mut ids = Vec::new();
    for builtin in &BUILTINS {
        let id =
            match store::plugins::find_by_name_version(db, builtin.name, builtin.version).await? {
                Some(existing) => existing.id,
                None => {
                    store::plugins::insert(
                        db,
                        NewPlugin {
                            name: builtin.name,
                            version: builtin.version,
                            sha256: hex(&PluginHost::sha256(builtin.wasm)),
                            wasm: builtin.wasm.to_vec(),
                            builtin: true,
                            uploaded_by: None,
                        },
                    )
                    .await?
                }
            };
        ids.push(id);
    }
    Ok(ids)
}

/// Gives a new owner the built-in pipeline with default configuration.
pub async fn install_default_pipeline(
    db: &impl ConnectionTrait,
    owner_id: i64,
) -> Result<(), ServiceError> {
    let steps = ensure_builtins(db)
        .await?
        .into_iter()
        .map(|plugin_id| NewStep {
            plugin_id,
            config: "{}".into(),
            fuel: None,
            deadline_ms: None,
            memory_bytes: None,
            output_bytes: None,
        })
        .collect();
    Ok(store::plugins::replace_pipeline(db, owner_id, steps).await?)
}

impl Services {
    /// The compiled form of a stored plugin: from this process's cache, or
    /// compiled now from the stored bytes.
    pub async fn compiled_plugin(
        &self,
        plugin: &PluginMeta,
    ) -> Result<std::sync::Arc<crate::plugins::Compiled>, PluginFailure> {
        let sha: Option<[u8; 32]> = (0..32)
            .map(|i| {
                plugin
                    .sha256
                    .get(i * 2..i * 2 + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .and_then(|v| v.try_into().ok());
        if let Some(found) = sha.as_ref().and_then(|sha| self.plugins.cached(sha)) {
            return Ok(found);
        }
        let wasm = store::plugins::wasm(&self.db, plugin.id)
            .await
            .map_err(|e| PluginFailure::Instantiation(e.to_string()))?
            .ok_or_else(|| PluginFailure::Instantiation("plugin bytes missing".into()))?;
        let host = self.plugins;
        tokio::task::spawn_blocking(move || host.compile(&wasm))
            .await
            .map_err(|e| PluginFailure::Instantiation(e.to_string()))?
            .map_err(|e| PluginFailure::Instantiation(e.to_string()))
    }

    /// Compiles every plugin a pipeline uses, so that the first registration
    /// after a start does not wait ~0.5 s for the compiler. Failures are
    /// logged; the plugin is then compiled (or fails) when first called.
    pub async fn warm_plugins(&self) {
        let plugins = match store::plugins::in_pipelines(&self.db).await {
            Ok(plugins) => plugins,
            Err(err) => {
                tracing::warn!(error = %err, "cannot list the plugins to precompile");
                return;
            }
        };
        for plugin in plugins {
            if let Err(err) = self.compiled_plugin(&plugin).await {
                tracing::warn!(plugin = %plugin.name, version = %plugin.version, error = %err, "precompiling a plugin failed");
            }
        }
    }

    #[tracing::instrument(skip(self, ctx, input), fields(name = %input.name, version = %input.version))]
    pub async fn upload_plugin(
        &self,
        ctx: &Ctx,
        input: UploadPlugin,
    ) -> Result<PluginMeta, ServiceError> {
        self.authorize(ctx, Scope::Platform, "plugin", "upload")
            .await?;
        let principal = ctx.principal()?;
        let mut errors = Vec::new();
        if !valid_name(&input.name) {
            errors.push(UserError::new(
                &["input", "name"],
                "INVALID_PLUGIN_NAME",
                "プラグイン名は英小文字で始まる64文字以内の英小文字・数字・ハイフンにしてください。",
            ));
        }
        let version = semver::Version::parse(input.version.trim());
        if version.is_err() {
            errors.push(UserError::new(
                &["input", "version"],
                "INVALID_VERSION",
                "バージョンはセマンティックバージョニング（例: 1.2.0）で指定してください。",
            ));
        }
        // Base64 is 4/3 of the bytes: refuse oversized input before decoding it.
        if input.wasm_base64.len() > MAX_PLUGIN_BYTES / 3 * 4 + 8 {
            errors.push(UserError::new(
                &["input", "wasmBase64"],
                "PLUGIN_TOO_LARGE",
                "プラグインは2MiB以下にしてください。",
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let version = version.map(|v| v.to_string()).unwrap_or_default();
        let wasm = STANDARD.decode(input.wasm_base64.trim()).map_err(|_| {
            ServiceError::invalid(
                &["input", "wasmBase64"],
                "INVALID_WASM_ENCODING",
                "wasmBase64 が正しいBase64ではありません。",
            )
        })?;
        if wasm.len() > MAX_PLUGIN_BYTES {
            return Err(ServiceError::invalid(
                &["input", "wasmBase64"],
                "PLUGIN_TOO_LARGE",
                "プラグインは2MiB以下にしてください。",
            ));
        }
        let exists = || {
            ServiceError::invalid(
                &["input", "version"],
                "PLUGIN_VERSION_EXISTS",
                "同じ名前とバージョンのプラグインが既に登録されています。",
            )
        };
        if store::plugins::find_by_name_version(&self.db, &input.name, &version)
            .await?
            .is_some()
        {
            return Err(exists());
        }
        let host = self.plugins;
        let bytes = wasm.clone();
        let compiled = tokio::task::spawn_blocking(move || host.compile(&bytes))
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?;
        if let Err(refusal) = compiled {
            let code = match refusal {
                crate::plugins::host::RefusedComponent::NotAComponent(_) => "NOT_A_COMPONENT",
                crate::plugins::host::RefusedComponent::WrongWorld(_) => "WRONG_WORLD",
            };
            return Err(ServiceError::Invalid(vec![UserError {
                field: vec!["input".into(), "wasmBase64".into()],
                code,
                message: format!("スクリーニングプラグインとして受け付けられません: {refusal}"),
            }]));
        }
        let sha256 = hex(&PluginHost::sha256(&wasm));
        let inserted = store::plugins::insert(
            &self.db,
            NewPlugin {
                name: &input.name,
                version: &version,
                sha256,
                wasm,
                builtin: false,
                uploaded_by: principal.user_id(),
            },
        )
        .await;
        let id = match inserted {
            Ok(id) => id,
            Err(err) if store::unique_violation(&err) == Some("ux_plugins_name_version") => {
                return Err(exists());
            }
            Err(err) => return Err(err.into()),
        };
        tracing::info!(plugin_id = id, "plugin uploaded");
        store::plugins::find(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("plugin {id} vanished")))
    }

    pub async fn list_plugins(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<PluginMeta>, ServiceError> {
        self.authorize(ctx, Scope::Platform, "plugin", "list")
            .await?;
        Ok(store::plugins::list(&self.db, page).await?)
    }

    pub async fn visible_plugin(
        &self,
        ctx: &Ctx,
        id: i64,
    ) -> Result<Option<PluginMeta>, ServiceError> {
        if !self.may(ctx, Scope::Platform, "plugin", "list").await? {
            return Ok(None);
        }
        Ok(store::plugins::find(&self.db, id).await?)
    }

    /// Stops a plugin from being used; pipelines that still name it send
    /// their subjects to review until they are rearranged.
    pub async fn disable_plugin(&self, ctx: &Ctx, id: i64) -> Result<PluginMeta, ServiceError> {
        self.authorize(ctx, Scope::Platform, "plugin", "disable")
            .await?;
        let not_found = || {
            ServiceError::invalid(
                &["input", "pluginId"],
                "PLUGIN_NOT_FOUND",
                "指定されたプラグインが見つかりません。",
            )
        };
        store::plugins::find(&self.db, id)
            .await?
            .ok_or_else(not_found)?;
        store::plugins::disable(&self.db, id).await?;
        self.pipelines_changed();
        tracing::info!(plugin_id = id, "plugin disabled");
        store::plugins::find(&self.db, id)
            .await?
            .ok_or_else(not_found)
    }

    /// An owner's pipeline, for those who may read it.
    pub async fn screening_pipeline(
        &self,
        ctx: &Ctx,
        owner_id: i64,
    ) -> Result<Vec<(Step, PluginMeta)>, ServiceError> {
        ctx.principal()?;
        let owner = match self.visible_organisation(ctx, owner_id).await? {
            Some(o) if o.owner_id.is_none() => o,
            _ => return Err(ServiceError::NotFound),
        };
        self.authorize(ctx, scope_of(&owner), "pipeline", "read")
            .await?;
        Ok(store::plugins::pipeline(&self.db, owner.id).await?)
    }

    /// Replaces an owner's pipeline; every step's configuration is first
    /// validated by its plugin's `init`.
    #[tracing::instrument(skip(self, ctx, steps))]
    pub async fn set_screening_pipeline(
        &self,
        ctx: &Ctx,
        owner_id: i64,
        steps: Vec<StepInput>,
    ) -> Result<Vec<(Step, PluginMeta)>, ServiceError> {
        self.authorize(ctx, Scope::Platform, "pipeline", "arrange")
            .await?;
        let owner = self
            .visible_owner(ctx, owner_id, &["input", "ownerId"])
            .await?;
        if steps.len() > MAX_STEPS {
            return Err(ServiceError::invalid(
                &["input", "steps"],
                "TOO_MANY_STEPS",
                format!("手順は{MAX_STEPS}個までです。"),
            ));
        }
        let mut errors = Vec::new();
        let mut stored = Vec::new();
        for (index, step) in steps.into_iter().enumerate() {
            let at = index.to_string();
            let field = |name: &str| {
                vec![
                    "input".to_owned(),
                    "steps".to_owned(),
                    at.clone(),
                    name.to_owned(),
                ]
            };
            let error = |name: &str, code: &'static str, message: String| UserError {
                field: field(name),
                code,
                message,
            };
            let Some(plugin) = store::plugins::find(&self.db, step.plugin_id).await? else {
                errors.push(error(
                    "pluginId",
                    "PLUGIN_NOT_FOUND",
                    "指定されたプラグインが見つかりません。".into(),
                ));
                continue;
            };
            if plugin.disabled_at.is_some() {
                errors.push(error(
                    "pluginId",
                    "PLUGIN_DISABLED",
                    "無効化されたプラグインは使用できません。".into(),
                ));
                continue;
            }
            let in_range = step
                .fuel
                .is_none_or(|f| (1_000..=1_000_000_000).contains(&f))
                && step.deadline_ms.is_none_or(|d| (1..=5_000).contains(&d))
                && step
                    .memory_bytes
                    .is_none_or(|m| (1 << 20..=MEMORY_CEILING as i64).contains(&m))
                && step
                    .output_bytes
                    .is_none_or(|o| (1 << 10..=4 << 20).contains(&o));
            if !in_range {
                errors.push(error(
                    "limits",
                    "INVALID_LIMITS",
                    "上限値が範囲外です（燃料1千〜10億、期限1〜5000ms、メモリ1〜64MiB、出力1KiB〜4MiB）。".into(),
                ));
                continue;
            }
            let config = match step.config {
                None | Some(serde_json::Value::Null) => "{}".to_owned(),
                Some(value @ serde_json::Value::Object(_)) => value.to_string(),
                Some(_) => {
                    errors.push(error(
                        "config",
                        "INVALID_PLUGIN_CONFIG",
                        "設定はJSONオブジェクトで指定してください。".into(),
                    ));
                    continue;
                }
            };
            let row = Step {
                id: 0,
                owner_id: owner.id,
                position: index as i32,
                plugin_id: plugin.id,
                config: config.clone(),
                fuel: step.fuel,
                deadline_ms: step.deadline_ms,
                memory_bytes: step.memory_bytes,
                output_bytes: step.output_bytes,
            };
            let checked = match self.compiled_plugin(&plugin).await {
                Ok(compiled) => {
                    self.plugins
                        .check_config(compiled, limits_of(&row), config.into_bytes())
                        .await
                }
                Err(failure) => Err(failure),
            };
            match checked {
                Ok(()) => stored.push(row),
                Err(PluginFailure::Refused { message, .. }) => {
                    errors.push(error("config", "INVALID_PLUGIN_CONFIG", message));
                }
                Err(failure) => errors.push(error(
                    "pluginId",
                    "PLUGIN_FAILED",
                    format!("設定の検証中にプラグインが失敗しました: {failure}"),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let steps = stored
            .into_iter()
            .map(|s| NewStep {
                plugin_id: s.plugin_id,
                config: s.config,
                fuel: s.fuel,
                deadline_ms: s.deadline_ms,
                memory_bytes: s.memory_bytes,
                output_bytes: s.output_bytes,
            })
            .collect();
        let txn = crate::store::write(&self.db).await?;
        store::plugins::replace_pipeline(&txn, owner.id, steps).await?;
        txn.commit().await?;
        self.pipelines_changed();
        tracing::info!(owner_id = owner.id, "screening pipeline set");
        Ok(store::plugins::pipeline(&self.db, owner.id).await?)
    }
}
