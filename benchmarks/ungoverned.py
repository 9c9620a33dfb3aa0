"""The baseline that governance's overhead is measured against: DictaMesh with its decision points passing
everything through and its access audit idle. For benchmarks only — never served.

    with ungoverned(): ...                      # in process (the Django test client)
    granian benchmarks.ungoverned:application   # a server of its own, beside the governed one

Only the decision points are replaced (the catalog's ``governed`` hooks, the registry's, and the audit's
flush): authentication, the middleware and everything else run as they do governed, so the difference of
the two is what deciding, filtering, masking and auditing cost.
"""

from __future__ import annotations

from contextlib import contextmanager


def _replacements() -> list[tuple[object, str, object]]:
    from apps.catalog import governed as catalog
    from apps.governance.access import Access
    from apps.schemas import governed as schemas

    return [
        (catalog, "visible", lambda request: None),
        (catalog, "entities", lambda request, states, **kwargs: states),
        (catalog, "entity", lambda request, state: state),
        (catalog, "entity_or_none", lambda request, state: state),
        (schemas, "require", lambda request, action, subject: None),
        (schemas, "readable", lambda request, subjects: set(subjects)),
        (schemas, "require_schema", lambda request, schema_id: None),
        (Access, "flush", lambda self: None),
    ]


@contextmanager
def ungoverned():
    replaced = _replacements()
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in replaced]
    for owner, name, value in replaced:
        setattr(owner, name, value)
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def __getattr__(name: str):
    if name != "application":
        raise AttributeError(name)
    from config.wsgi import application

    ungoverned().__enter__()  # for the life of this server process
    return application
