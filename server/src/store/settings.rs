//! Server-wide settings kept in the database.

use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, sea_query::OnConflict};

use super::entity::setting;

/// Returns the stored value for `key`, storing `make()` first when there is
/// none. Safe when several replicas start at once: the first insert wins and
/// everyone reads it back.
pub async fn get_or_init(
    db: &impl ConnectionTrait,
    key: &str,
    make: impl FnOnce() -> String,
) -> Result<String, DbErr> {
    if let Some(row) = setting::Entity::find_by_id(key.to_owned()).one(db).await? {
        return Ok(row.value);
    }
    let row = setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(make()),
    };
    setting::Entity::insert(row)
        .on_conflict(
            OnConflict::column(setting::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| DbErr::RecordNotFound(format!("setting {key}")))
}
