"""Qt-free data layer: catalog and interaction model, loaders, importers,
dataset registry, discovery, download and cache."""
