//! TOML → `Pipeline`, collecting every problem with its line.
