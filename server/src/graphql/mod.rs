//! The GraphQL transport: thin resolvers that map inputs to service calls and
//! service results to API types. One root per area, merged.

mod bills;
mod enums;
pub mod errors;
mod identity;
pub mod ids;
mod limits;
mod notifications;
mod organisations;
mod scalars;
mod screening;
mod settlement;
mod types;

use std::sync::Arc;

use async_graphql::{
    Context, ID, Interface, MergedObject, Schema,
    connection::{Connection, Edge, EmptyFields},
};

use crate::{
    config::Config,
    service::{Ctx, Services},
    store::{Page, PageRequest},
};

pub use bills::{Bill, Payment};
pub use screening::{Application, JointCard, Plugin};
pub use types::{ApiKey, Contract, Organisation, User};

/// Any object with a global ID (Relay).
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Organisation(Organisation),
    User(User),
    Contract(Contract),
    ApiKey(ApiKey),
    Plugin(Plugin),
    Application(Application),
    JointCard(JointCard),
    Bill(Bill),
    Payment(Payment),
    SettlementStatement(settlement::SettlementStatement),
}

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    identity::IdentityQuery,
    organisations::OrganisationQuery,
    screening::ScreeningQuery,
    bills::BillQuery,
    notifications::NotificationQuery,
    settlement::SettlementQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    identity::IdentityMutation,
    organisations::OrganisationMutation,
    screening::ScreeningMutation,
    bills::BillMutation,
    notifications::NotificationMutation,
    settlement::SettlementMutation,
);

pub type ShunoSchema = Schema<QueryRoot, MutationRoot, notifications::SubscriptionRoot>;

/// The schema with its limits; `services` is None only for exporting the SDL.
pub fn build_schema(config: &Config, services: Option<Arc<Services>>) -> ShunoSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        notifications::SubscriptionRoot,
    )
    .limit_depth(config.max_query_depth)
    .limit_complexity(config.max_query_complexity)
    .extension(limits::FieldLimit {
        max: config.max_root_fields,
    });
    if let Some(services) = services {
        builder = builder.data(services);
    }
    builder.finish()
}

/// The SDL clients build against (`shuno schema`, `schema/schema.graphql`).
pub fn sdl(config: &Config) -> String {
    build_schema(config, None).sdl()
}

/// The services and the caller, from a resolver's context.
pub(crate) fn env<'a>(ctx: &Context<'a>) -> async_graphql::Result<(&'a Services, &'a Ctx)> {
    let services = ctx.data::<Arc<Services>>()?;
    let caller = ctx.data::<Ctx>()?;
    Ok((services.as_ref(), caller))
}

pub type Conn<N> = Connection<String, N, EmptyFields, EmptyFields>;

pub(crate) fn page_request(
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<PageRequest> {
    if first.is_some_and(|n| n < 0) {
        return Err(errors::code_error(
            "BAD_REQUEST",
            "first must not be negative",
        ));
    }
    let after = match after {
        None => None,
        Some(cursor) => Some(
            ids::decode_cursor(&cursor)
                .ok_or_else(|| errors::code_error("BAD_REQUEST", "invalid cursor"))?,
        ),
    };
    Ok(PageRequest::new(after, first))
}

pub(crate) fn connection<T, N: async_graphql::OutputType>(
    page: Page<T>,
    id: impl Fn(&T) -> i64,
    node: impl Fn(T) -> N,
) -> Conn<N> {
    let mut conn = Connection::new(page.has_previous, page.has_next);
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(ids::cursor(id(&item)), node(item))),
    );
    conn
}

/// The complexity of a connection field: its children count once per item
/// it may return, so that nested lists cannot multiply into a huge response.
pub(crate) fn page_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let items = first.map_or(20, |n| n.clamp(0, crate::store::MAX_PAGE as i32)) as usize;
    items.max(1) * child_complexity
}
