//! The black-box suite in one test binary: one link instead of ten, which
//! keeps debug builds quick and small on a 2-core CI machine.
mod authorization;
mod bills;
mod limits;
mod onboarding;
mod plugins;
mod schema;
mod settlement;
mod storage;
mod tokens;
mod validation;
