"""Per-request DataLoaders (graphql-sync-dataloaders), kept on the request context.

Resolvers call ``loader_for(info, MyLoader)``: one instance per request and loader class, so every
``load(key)`` issued while resolving one level is batched into one ``batch_load_fn`` call.
"""

from __future__ import annotations

from typing import TypeVar

from graphql_sync_dataloaders import SyncDataLoader

L = TypeVar("L", bound=SyncDataLoader)


def loader_for(info, loader_class: type[L]) -> L:
    return loader_in(info.context, loader_class)


def loader_in(context, loader_class: type[L]) -> L:
    """``loader_for`` from the request context itself (a loader that feeds another, in its batch)."""
    loaders = getattr(context, "_dictamesh_loaders", None)
    if loaders is None:
        loaders = {}
        context._dictamesh_loaders = loaders
    loader = loaders.get(loader_class)
    if loader is None:
        # a loader that decides per caller (``with_context = True``) is made with the request
        loader = loader_class(context) if getattr(loader_class, "with_context", False) else loader_class()
        loaders[loader_class] = loader
    return loader


def prime(loader: SyncDataLoader, values: dict) -> None:
    """Settle ``loader``'s futures for these keys with these values now, as its batch would: a key not asked
    yet is cached already resolved, a queued one is resolved and taken off the queue (its batch, if it
    still runs, has the others)."""
    from graphql_sync_dataloaders.sync_future import SyncFuture

    settle = []
    for key, value in values.items():
        future = loader._cache.get(key)
        if future is None:
            future = loader._cache[key] = SyncFuture()
        elif future.done():
            continue
        settle.append((future, value))
    if loader._queue:
        pending = {id(future) for future, _ in settle}
        loader._queue = [(key, future) for key, future in loader._queue if id(future) not in pending]
    for future, value in settle:  # off the queue first: what their callbacks load is queued afresh
        future.set_result(value)


def then(future, transform):
    """``transform(result)`` of a loader's future, itself deferred until the batch runs (SyncFuture has no
    ``then``). An already resolved future gives the value at once; errors pass through."""
    from graphql_sync_dataloaders.sync_future import SyncFuture

    if future.done():
        return transform(future.result())
    chained = SyncFuture()
    chained.deferred_callback = future.deferred_callback  # the batch's dispatch, if this load starts one

    def done() -> None:
        error = future.exception()
        if error is not None:
            chained.set_exception(error)
            return
        try:
            chained.set_result(transform(future.result()))
        except Exception as exc:  # surfaced as this field's error
            chained.set_exception(exc)

    future.add_done_callback(done)
    return chained
