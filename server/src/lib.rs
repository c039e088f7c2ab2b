//! shuno (収納): the back office of a konbini payment agency, served as one
//! GraphQL API.
//!
//! Layers, each in its folder (see `../shared/DESIGN.md`):
//! - [`domain`]: pure business values and rules (no I/O, no framework types).
//! - [`store`]: the database: connection, entities, data access functions.
//! - [`auth`]: passwords, login tokens, API keys, the [`auth::Principal`].
//! - [`authz`]: casbin access control with organisations as domains.
//! - [`service`]: every operation, authorized, validated and persisted.
//! - [`graphql`]: the API types and thin resolvers.
//! - [`http`]: routes, request ids, limits, authentication of requests.
//! - [`startup`]: [`startup::Application`], built the same way by `shuno serve` and the tests.
//! - [`config`], [`telemetry`], [`demo`], [`cli`].

pub mod auth;
pub mod authz;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod plugins;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
