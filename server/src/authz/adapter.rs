//! A casbin [`Adapter`] over our own store. The enforcer loads through it;
//! the services write grants with `store::policy` inside their transactions
//! and then tell the in-memory enforcer (auto-save is off), so casbin never
//! writes outside a transaction of ours.

use async_trait::async_trait;
use casbin::{Adapter, Filter, Model, Result, error::AdapterError};
use sea_orm::DatabaseConnection;

use crate::store::policy::{self, Rule};

pub struct DbAdapter {
    db: DatabaseConnection,
}

impl DbAdapter {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn adapter_error(err: sea_orm::DbErr) -> casbin::Error {
    AdapterError(Box::new(err)).into()
}

fn section(ptype: &str) -> &str {
    if ptype.starts_with('g') { "g" } else { "p" }
}

fn rules_of(model: &dyn Model) -> Vec<Rule> {
    let mut rules = Vec::new();
    for sec in ["p", "g"] {
        if let Some(assertions) = model.get_model().get(sec) {
            for (ptype, assertion) in assertions {
                for values in assertion.get_policy() {
                    rules.push(Rule {
                        ptype: ptype.clone(),
                        values: values.clone(),
                    });
                }
            }
        }
    }
    rules
}

#[async_trait]
impl Adapter for DbAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> Result<()> {
        for rule in policy::load_all(&self.db).await.map_err(adapter_error)? {
            m.add_policy(section(&rule.ptype), &rule.ptype, rule.values);
        }
        Ok(())
    }

    async fn load_filtered_policy<'a>(&mut self, m: &mut dyn Model, f: Filter<'a>) -> Result<()> {
        for rule in policy::load_all(&self.db).await.map_err(adapter_error)? {
            let filter = if section(&rule.ptype) == "g" {
                &f.g
            } else {
                &f.p
            };
            let keep = filter.iter().enumerate().all(|(i, want)| {
                want.is_empty() || rule.values.get(i).map(String::as_str) == Some(*want)
            });
            if keep {
                m.add_policy(section(&rule.ptype), &rule.ptype, rule.values);
            }
        }
        Ok(())
    }

    async fn save_policy(&mut self, m: &mut dyn Model) -> Result<()> {
        let rules = rules_of(m);
        let db = &self.db;
        let txn = sea_orm::TransactionTrait::begin(db)
            .await
            .map_err(adapter_error)?;
        policy::delete_all(&txn).await.map_err(adapter_error)?;
        policy::insert(&txn, &rules).await.map_err(adapter_error)?;
        txn.commit().await.map_err(adapter_error)
    }

    async fn clear_policy(&mut self) -> Result<()> {
        policy::delete_all(&self.db).await.map_err(adapter_error)
    }

    fn is_filtered(&self) -> bool {
        false
    }

    async fn add_policy(&mut self, _sec: &str, ptype: &str, rule: Vec<String>) -> Result<bool> {
        self.add_policies(_sec, ptype, vec![rule]).await
    }

    async fn add_policies(
        &mut self,
        _sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> Result<bool> {
        let rules: Vec<Rule> = rules
            .into_iter()
            .map(|values| Rule {
                ptype: ptype.to_owned(),
                values,
            })
            .collect();
        policy::insert(&self.db, &rules)
            .await
            .map_err(adapter_error)?;
        Ok(true)
    }

    async fn remove_policy(&mut self, _sec: &str, ptype: &str, rule: Vec<String>) -> Result<bool> {
        self.remove_policies(_sec, ptype, vec![rule]).await
    }

    async fn remove_policies(
        &mut self,
        _sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> Result<bool> {
        let rules: Vec<Rule> = rules
            .into_iter()
            .map(|values| Rule {
                ptype: ptype.to_owned(),
                values,
            })
            .collect();
        policy::delete(&self.db, &rules)
            .await
            .map_err(adapter_error)?;
        Ok(true)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> Result<bool> {
        let removed = policy::delete_matching(&self.db, ptype, field_index, &field_values)
            .await
            .map_err(adapter_error)?;
        Ok(removed > 0)
    }
}
