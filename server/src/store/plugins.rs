//! Plugins and the per-owner screening pipelines.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    Page, PageRequest,
    entity::{plugin, screening_step},
};

/// A plugin row without its (large) wasm bytes.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct PluginMeta {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub builtin: bool,
    pub uploaded_by: Option<i64>,
    pub created_at: chrono::DateTime<Utc>,
    pub disabled_at: Option<chrono::DateTime<Utc>>,
}

fn metas() -> sea_orm::Select<plugin::Entity> {
    use plugin::Column as C;
    plugin::Entity::find().select_only().columns([
        C::Id,
        C::Name,
        C::Version,
        C::Sha256,
        C::SizeBytes,
        C::Builtin,
        C::UploadedBy,
        C::CreatedAt,
        C::DisabledAt,
    ])
}

pub struct NewPlugin<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub sha256: String,
    pub wasm: Vec<u8>,
    pub builtin: bool,
    pub uploaded_by: Option<i64>,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewPlugin<'_>) -> Result<i64, DbErr> {
    let size = new.wasm.len() as i64;
    let row = plugin::ActiveModel {
        id: NotSet,
        name: Set(new.name.to_owned()),
        version: Set(new.version.to_owned()),
        sha256: Set(new.sha256),
        wasm: Set(new.wasm),
        size_bytes: Set(size),
        builtin: Set(new.builtin),
        uploaded_by: Set(new.uploaded_by),
        created_at: Set(Utc::now()),
        disabled_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<PluginMeta>, DbErr> {
    metas()
        .filter(plugin::Column::Id.eq(id))
        .into_model()
        .one(db)
        .await
}

pub async fn find_by_name_version(
    db: &impl ConnectionTrait,
    name: &str,
    version: &str,
) -> Result<Option<PluginMeta>, DbErr> {
    metas()
        .filter(plugin::Column::Name.eq(name))
        .filter(plugin::Column::Version.eq(version))
        .into_model()
        .one(db)
        .await
}

pub async fn find_many(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<Vec<PluginMeta>, DbErr> {
    metas()
        .filter(plugin::Column::Id.is_in(ids))
        .into_model()
        .all(db)
        .await
}

pub async fn wasm(db: &impl ConnectionTrait, id: i64) -> Result<Option<Vec<u8>>, DbErr> {
    Ok(plugin::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|p| p.wasm))
}

pub async fn list(
    db: &impl ConnectionTrait,
    request: PageRequest,
) -> Result<Page<PluginMeta>, DbErr> {
    let mut query = metas();
    if let Some(after) = request.after {
        query = query.filter(plugin::Column::Id.gt(after));
    }
    let mut items: Vec<PluginMeta> = query
        .order_by_asc(plugin::Column::Id)
        .limit(request.first + 1)
        .into_model()
        .all(db)
        .await?;
    let has_next = items.len() as u64 > request.first;
    items.truncate(request.first as usize);
    Ok(Page {
        items,
        has_next,
        has_previous: request.after.is_some(),
    })
}

pub async fn disable(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    if let Some(row) = plugin::Entity::find_by_id(id).one(db).await? {
        let mut active = row.into_active_model();
        active.disabled_at = Set(Some(Utc::now()));
        active.update(db).await?;
    }
    Ok(())
}

/// A step to store, in pipeline order.
pub struct NewStep {
    pub plugin_id: i64,
    pub config: String,
    pub fuel: Option<i64>,
    pub deadline_ms: Option<i32>,
    pub memory_bytes: Option<i64>,
    pub output_bytes: Option<i64>,
}

/// Replaces an owner's pipeline with `steps`.
pub async fn replace_pipeline(
    db: &impl ConnectionTrait,
    owner_id: i64,
    steps: Vec<NewStep>,
) -> Result<(), DbErr> {
    screening_step::Entity::delete_many()
        .filter(screening_step::Column::OwnerId.eq(owner_id))
        .exec(db)
        .await?;
    if steps.is_empty() {
        return Ok(());
    }
    let rows = steps
        .into_iter()
        .enumerate()
        .map(|(position, step)| screening_step::ActiveModel {
            id: NotSet,
            owner_id: Set(owner_id),
            position: Set(position as i32),
            plugin_id: Set(step.plugin_id),
            config: Set(step.config),
            fuel: Set(step.fuel),
            deadline_ms: Set(step.deadline_ms),
            memory_bytes: Set(step.memory_bytes),
            output_bytes: Set(step.output_bytes),
        });
    screening_step::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// An owner's pipeline in order, each step with its plugin.
/// Every plugin some pipeline uses, once each.
pub async fn in_pipelines(db: &impl ConnectionTrait) -> Result<Vec<PluginMeta>, DbErr> {
    let ids: Vec<i64> = screening_step::Entity::find()
        .select_only()
        .column(screening_step::Column::PluginId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    find_many(db, ids).await
}

pub async fn pipeline(
    db: &impl ConnectionTrait,
    owner_id: i64,
) -> Result<Vec<(screening_step::Model, PluginMeta)>, DbErr> {
    let steps = screening_step::Entity::find()
        .filter(screening_step::Column::OwnerId.eq(owner_id))
        .order_by_asc(screening_step::Column::Position)
        .all(db)
        .await?;
    let plugins = find_many(db, steps.iter().map(|s| s.plugin_id).collect()).await?;
    Ok(steps
        .into_iter()
        .filter_map(|step| {
            let plugin = plugins.iter().find(|p| p.id == step.plugin_id)?.clone();
            Some((step, plugin))
        })
        .collect())
}
