"""The GraphQL surface: one schema combined from each app's Query/Mutation, per-request DataLoaders, limits."""
