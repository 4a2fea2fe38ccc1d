"""Site configs: one TOML file per cluster, resolved once into a frozen SiteConfig."""
