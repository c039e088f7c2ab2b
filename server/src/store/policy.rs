//! Casbin policy rows. Services call [`insert`] and [`delete`] inside their
//! own transaction, so that a grant commits or rolls back with its cause.

use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};

use super::entity::casbin_rule::{self, Column};

/// A policy line: its type (`p`, `g`) and up to six values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub ptype: String,
    pub values: Vec<String>,
}

impl Rule {
    pub fn new(ptype: &str, values: &[&str]) -> Self {
        Self {
            ptype: ptype.to_owned(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    fn padded(&self) -> [String; 6] {
        std::array::from_fn(|i| self.values.get(i).cloned().unwrap_or_default())
    }
}

const VALUE_COLUMNS: [Column; 6] = [
    Column::V0,
    Column::V1,
    Column::V2,
    Column::V3,
    Column::V4,
    Column::V5,
];

pub async fn load_all(db: &impl ConnectionTrait) -> Result<Vec<Rule>, DbErr> {
    let rows = casbin_rule::Entity::find()
        .order_by_asc(Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut values = vec![row.v0, row.v1, row.v2, row.v3, row.v4, row.v5];
            while values.last().is_some_and(String::is_empty) {
                values.pop();
            }
            Rule {
                ptype: row.ptype,
                values,
            }
        })
        .collect())
}

/// Stores the rules; rules already present are left as they are.
pub async fn insert(db: &impl ConnectionTrait, rules: &[Rule]) -> Result<(), DbErr> {
    if rules.is_empty() {
        return Ok(());
    }
    let rows = rules.iter().map(|rule| {
        let [v0, v1, v2, v3, v4, v5] = rule.padded();
        casbin_rule::ActiveModel {
            id: NotSet,
            ptype: Set(rule.ptype.clone()),
            v0: Set(v0),
            v1: Set(v1),
            v2: Set(v2),
            v3: Set(v3),
            v4: Set(v4),
            v5: Set(v5),
        }
    });
    let mut conflict_columns = vec![Column::Ptype];
    conflict_columns.extend(VALUE_COLUMNS);
    casbin_rule::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns(conflict_columns)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Deletes the rules whose values from `field_index` on equal `values`
/// (an empty value matches anything, as in casbin's filtered removal).
pub async fn delete_matching(
    db: &impl ConnectionTrait,
    ptype: &str,
    field_index: usize,
    values: &[String],
) -> Result<u64, DbErr> {
    let mut query = casbin_rule::Entity::delete_many().filter(Column::Ptype.eq(ptype));
    for (offset, value) in values.iter().enumerate() {
        let Some(column) = VALUE_COLUMNS.get(field_index + offset) else {
            break;
        };
        if !value.is_empty() {
            query = query.filter(column.eq(value.as_str()));
        }
    }
    Ok(query.exec(db).await?.rows_affected)
}

/// Deletes exactly these rules.
pub async fn delete(db: &impl ConnectionTrait, rules: &[Rule]) -> Result<(), DbErr> {
    for rule in rules {
        let padded = rule.padded();
        let mut query =
            casbin_rule::Entity::delete_many().filter(Column::Ptype.eq(rule.ptype.as_str()));
        for (column, value) in VALUE_COLUMNS.iter().zip(padded.iter()) {
            query = query.filter(column.eq(value.as_str()));
        }
        query.exec(db).await?;
    }
    Ok(())
}

pub async fn delete_all(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    casbin_rule::Entity::delete_many().exec(db).await?;
    Ok(())
}
