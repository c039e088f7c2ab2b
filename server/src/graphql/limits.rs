//! Refuses documents with too many root fields or aliases before they run:
//! alias batching is the cheap way to make one request do the work of
//! thousands (e.g. 1,000 `login` attempts in one body).

use std::sync::Arc;

use async_graphql::{
    ServerError, ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

pub struct FieldLimit {
    pub max: usize,
}

impl ExtensionFactory for FieldLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FieldLimitExtension { max: self.max })
    }
}

struct FieldLimitExtension {
    max: usize,
}

/// Root fields of every operation (through fragments) plus every alias.
fn weight(document: &ExecutableDocument) -> usize {
    fn aliases(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some())
                        + aliases(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => aliases(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    fn root_fields(set: &SelectionSet, document: &ExecutableDocument, depth: usize) -> usize {
        if depth > 8 {
            return 0;
        }
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(fragment) => {
                    root_fields(&fragment.node.selection_set.node, document, depth + 1)
                }
                Selection::FragmentSpread(spread) => document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |f| {
                        root_fields(&f.node.selection_set.node, document, depth + 1)
                    }),
            })
            .sum()
    }
    let operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| {
            let set = &op.node.selection_set.node;
            let root_aliases = set
                .items
                .iter()
                .filter(|item| matches!(&item.node, Selection::Field(f) if f.node.alias.is_some()))
                .count();
            // An aliased root field is one root field, not two.
            root_fields(set, document, 0) + aliases(set) - root_aliases
        })
        .sum();
    let fragments: usize = document
        .fragments
        .values()
        .map(|f| aliases(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

#[async_trait::async_trait]
impl Extension for FieldLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let weight = weight(&document);
        if weight > self.max {
            let mut error = ServerError::new(
                format!(
                    "too many root fields and aliases: {weight} (at most {})",
                    self.max
                ),
                None,
            );
            let mut extensions = async_graphql::ErrorExtensionValues::default();
            extensions.set("code", "TOO_MANY_FIELDS");
            error.extensions = Some(extensions);
            return Err(error);
        }
        Ok(document)
    }
}
