//! Running an owner's pipeline over an application or a batch of bills.
//!
//! This is the one function the bills area calls: [`Services::screen_bills`]
//! takes a contract and its bills and answers, per bill, the decision and
//! the chains it may be paid at.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use super::{ServiceError, Services, plugins::limits_of};
use crate::{
    domain::{
        contract::{Chain, ChainSet, Usage},
        screening::{Screening, StepResult},
    },
    plugins::{outcome, wit},
    store::{
        self,
        entity::{
            contract::Model as Contract, organisation::Model as Organisation,
            screening_step::Model as ScreeningStep,
        },
        plugins::PluginMeta,
    },
};

/// Bills screened by one plugin call; a bigger batch takes several calls,
/// each with the step's whole budget.
pub const BILLS_PER_CALL: usize = 100;

type Pipeline = Arc<Vec<(ScreeningStep, PluginMeta)>>;

/// Owners' pipelines as last read, with a generation so that a read that
/// raced a change is not kept.
#[derive(Default)]
pub struct PipelineCache {
    state: std::sync::Mutex<CachedPipelines>,
}

#[derive(Default)]
struct CachedPipelines {
    /// Bumped by every change made through this process.
    generation: u64,
    /// By owner: when read, and what.
    owners: HashMap<i64, (Instant, Pipeline)>,
}

impl PipelineCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CachedPipelines> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What the bills area knows of a bill to screen.
#[derive(Debug, Clone)]
pub struct BillSubject {
    pub category: String,
    pub description: String,
    pub amount: i64,
}

pub fn wit_chain(chain: Chain) -> wit::Chain {
    match chain {
        Chain::Lawson => wit::Chain::Lawson,
        Chain::Ministop => wit::Chain::Ministop,
        Chain::FamilyMart => wit::Chain::Familymart,
    }
}

pub fn wit_usage(usage: Usage) -> wit::Usage {
    match usage {
        Usage::Standard => wit::Usage::Standard,
        Usage::Repeat => wit::Usage::Repeat,
    }
}

impl Services {
    /// `owner_id`'s pipeline: from this process's cache when read within
    /// the last `pipeline_cache_seconds` and not changed here since; another
    /// replica's change is seen after at most that long.
    pub async fn owner_pipeline(&self, owner_id: i64) -> Result<Pipeline, ServiceError> {
        let generation = {
            let cache = self.pipelines.lock();
            if let Some((read, pipeline)) = cache.owners.get(&owner_id)
                && read.elapsed() < Duration::from_secs(self.config.pipeline_cache_seconds)
            {
                return Ok(pipeline.clone());
            }
            cache.generation
        };
        let pipeline: Pipeline = Arc::new(store::plugins::pipeline(&self.db, owner_id).await?);
        let mut cache = self.pipelines.lock();
        if cache.generation == generation {
            cache
                .owners
                .insert(owner_id, (Instant::now(), pipeline.clone()));
        }
        Ok(pipeline)
    }

    /// Forgets every cached pipeline; called after a pipeline or plugin
    /// change commits.
    pub fn pipelines_changed(&self) {
        let mut cache = self.pipelines.lock();
        cache.generation += 1;
        cache.owners.clear();
    }

    /// The pipeline's answer for an application to `owner_id`'s service.
    pub async fn screen_application(
        &self,
        owner_id: i64,
        application: wit::Application,
        requested: &[Chain],
    ) -> Result<Screening, ServiceError> {
        let mut results = Vec::new();
        for (step, plugin) in self.owner_pipeline(owner_id).await?.iter() {
            let failed =
                |failure| outcome::failure(plugin.id, &plugin.name, &plugin.version, &failure);
            if plugin.disabled_at.is_some() {
                results.push(failed(crate::plugins::PluginFailure::Instantiation(
                    "plugin disabled".into(),
                )));
                continue;
            }
            let run = match self.compiled_plugin(plugin).await {
                Ok(compiled) => {
                    self.plugins
                        .screen_application(
                            compiled,
                            limits_of(step),
                            step.config.clone().into_bytes(),
                            application.clone(),
                        )
                        .await
                }
                Err(failure) => Err(failure),
            };
            results.push(match run {
                Ok(screened) => StepResult {
                    plugin_id: plugin.id,
                    plugin: plugin.name.clone(),
                    version: plugin.version.clone(),
                    decision: outcome::decision(screened.value),
                    failure: None,
                    fuel_used: screened.fuel_used,
                },
                Err(failure) => {
                    tracing::warn!(plugin = %plugin.name, version = %plugin.version, error = %failure, "plugin failed; subject goes to review");
                    failed(failure)
                }
            });
        }
        Ok(Screening::combine(requested, results))
    }

    /// Screens bills of `contract` through its owner's pipeline, in one call
    /// per step for the whole batch. One screening per bill, in order; a
    /// bill's available chains are the contract's chains no step excluded.
    pub async fn screen_bills(
        &self,
        contract: &Contract,
        organisation: &Organisation,
        bills: &[BillSubject],
    ) -> Result<Vec<Screening>, ServiceError> {
        if organisation.id != contract.organisation_id {
            return Err(ServiceError::Internal(anyhow::anyhow!(
                "contract {} screened with organisation {}",
                contract.id,
                organisation.id
            )));
        }
        let owner_id = organisation.owner_id.unwrap_or(organisation.id);
        let chains = ChainSet::from_stored(&contract.chains).ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!(
                "contract {} has unreadable chains",
                contract.id
            ))
        })?;
        let usage = wit_usage(Usage::from_name(&contract.usage).unwrap_or(Usage::Standard));
        let subjects: Vec<wit::Bill> = bills
            .iter()
            .map(|b| wit::Bill {
                category: b.category.clone(),
                description: b.description.clone(),
                amount: b.amount,
                usage,
            })
            .collect();

        let mut steps = Vec::new();
        let pipeline = self.owner_pipeline(owner_id).await?;
        for (step, plugin) in pipeline.iter() {
            let compiled = if plugin.disabled_at.is_some() {
                Err(crate::plugins::PluginFailure::Instantiation(
                    "plugin disabled".into(),
                ))
            } else {
                self.compiled_plugin(plugin).await
            };
            steps.push((step, plugin, compiled));
        }
        // The budget is per call; big batches are screened in chunks that
        // each get the step's whole budget. Every (step, chunk) call is made
        // at once: the host runs them side by side on as many blocking
        // threads as it has call slots, and they are read back in order.
        let calls = steps.iter().flat_map(|(step, _, compiled)| {
            subjects
                .chunks(BILLS_PER_CALL)
                .map(move |chunk| async move {
                    match compiled {
                        Ok(compiled) => {
                            self.plugins
                                .screen_bills(
                                    compiled.clone(),
                                    limits_of(step),
                                    step.config.clone().into_bytes(),
                                    chunk.to_vec(),
                                )
                                .await
                        }
                        Err(failure) => Err(failure.clone()),
                    }
                })
        });
        let mut runs = futures_util::future::join_all(calls).await.into_iter();

        let mut per_bill: Vec<Vec<StepResult>> = vec![Vec::new(); bills.len()];
        for (_, plugin, _) in &steps {
            for (chunk_index, chunk) in subjects.chunks(BILLS_PER_CALL).enumerate() {
                let offset = chunk_index * BILLS_PER_CALL;
                let run = runs.next().unwrap_or_else(|| {
                    Err(crate::plugins::PluginFailure::Trapped(
                        "no result for a screening call".into(),
                    ))
                });
                let results = &mut per_bill[offset..offset + chunk.len()];
                match run {
                    Ok(screened) => {
                        let fuel_each = screened.fuel_used / chunk.len().max(1) as u64;
                        for (result, decision) in results.iter_mut().zip(screened.value) {
                            result.push(StepResult {
                                plugin_id: plugin.id,
                                plugin: plugin.name.clone(),
                                version: plugin.version.clone(),
                                decision: outcome::decision(decision),
                                failure: None,
                                fuel_used: fuel_each,
                            });
                        }
                    }
                    Err(failure) => {
                        tracing::warn!(plugin = %plugin.name, error = %failure, "plugin failed on bills; they go to review");
                        for result in results.iter_mut() {
                            result.push(outcome::failure(
                                plugin.id,
                                &plugin.name,
                                &plugin.version,
                                &failure,
                            ));
                        }
                    }
                }
            }
        }
        Ok(per_bill
            .into_iter()
            .map(|results| Screening::combine(chains.chains(), results))
            .collect())
    }
}
