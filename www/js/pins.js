// Written by `cargo xtask build`; do not edit. The reference model's SHA-256: the page fetches
// it with `integrity`, so a different file is refused. This module is itself pinned by the
// import map in index.html (see SECURITY.md).
export const REFERENCE_MODEL_INTEGRITY = 'sha256-cPk7PuUYsfuOEJHhADQcVFJg0WOFwp+b7mjDAlX4kZU=';
export const REFERENCE_MODEL_SHA256 = '70f93b3ee518b1fb8e1091e100341c545260d16385c29f9bee68c30255f89195';
