"""The execution context that makes DataLoaders batch in a synchronous (Django) GraphQL server.

graphql-sync-dataloaders' DeferredExecutionContext calls ``handle_field_error(error, return_type)``;
graphql-core 3.2.14 added a required ``path`` argument (errors are collected per path so that an
error under an already-nulled parent is not reported twice). This subclass accepts both: with no
path the error is always collected, which is what graphql-core did before the change.
"""

from __future__ import annotations

from graphql_sync_dataloaders import DeferredExecutionContext


class DataLoaderExecutionContext(DeferredExecutionContext):
    def handle_field_error(self, error, return_type, path=None):  # type: ignore[override]
        return super().handle_field_error(error, return_type, path)
