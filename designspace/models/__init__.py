"""Model layer: registries of blocks/stems/heads, the network builder, RegNet, the zoo."""
